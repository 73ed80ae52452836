-- Invitations (e-mail, SMS) waiting to be delivered, stored in the same
-- transaction as the change they tell of, so none is lost to a crash; a
-- deliverer claims the due ones (`next_at`) until `claimed_until` (a lease:
-- one that dies leaves them to another), sends them and records how it
-- went. Kept after delivery: the meeting's detail shows them.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conf_uuid TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    name TEXT NOT NULL,
    host INTEGER NOT NULL,
    calendar INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    claimed_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox(next_at) WHERE state = 'pending';
CREATE INDEX outbox_meeting ON outbox(conf_uuid);
