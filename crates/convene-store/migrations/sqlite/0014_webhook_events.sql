-- Enterprise event push (spec §6.1): events waiting to be pushed to an
-- enterprise's enabled subscription, written in the same transaction as
-- the change they tell of (a create, an edit, a cancel; a held meeting's
-- attendance records). Only meetings of an enterprise whose subscription
-- is enabled get rows. A deliverer claims the oldest pending event of each
-- meeting (later ones of the same meeting wait behind it: order per
-- meeting) until `claimed_until`; a delivered event is deleted, one that
-- ran out of retries stays as 'failed', one whose subscription went away
-- as 'unsent'. Times in milliseconds.
CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id TEXT NOT NULL,
    conf_uuid TEXT NOT NULL,
    conf_id TEXT NOT NULL,
    cycle_sub_id TEXT NOT NULL,
    event TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    attendee TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    claimed_until INTEGER,
    last_error TEXT
);
CREATE INDEX webhook_events_meeting ON webhook_events(conf_uuid, id) WHERE state = 'pending';
CREATE INDEX webhook_events_due ON webhook_events(next_at) WHERE state = 'pending';
-- Whose account a participant was (for `meeting.join`/`meeting.left`).
ALTER TABLE attendance ADD COLUMN user_uuid TEXT;
