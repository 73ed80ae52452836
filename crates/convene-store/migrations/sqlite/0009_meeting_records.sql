-- What happened in a held meeting, for its history (and later its minutes
-- and webhooks): who was in it when, and who did what. Written by the
-- live meeting in batches; kept after the meeting ends.
CREATE TABLE attendance (
    conf_uuid TEXT NOT NULL,
    participant_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    role INTEGER NOT NULL,
    device TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    left_at INTEGER
);
CREATE INDEX attendance_meeting ON attendance(conf_uuid, joined_at);
CREATE TABLE control_records (
    conf_uuid TEXT NOT NULL,
    at INTEGER NOT NULL,
    source TEXT NOT NULL,
    operator TEXT NOT NULL,
    code TEXT NOT NULL,
    object TEXT NOT NULL,
    result INTEGER NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX control_records_meeting ON control_records(conf_uuid, at);
