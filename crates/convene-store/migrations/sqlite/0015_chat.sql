-- A held meeting's chat, for its minutes: every message in order, private
-- ones with their receiver (names as they were then). Written by the live
-- meeting with its other records.
CREATE TABLE chat_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conf_uuid TEXT NOT NULL,
    at INTEGER NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT,
    text TEXT NOT NULL
);
CREATE INDEX chat_records_meeting ON chat_records(conf_uuid, id);
