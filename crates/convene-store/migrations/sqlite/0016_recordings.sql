-- Cloud recording (issue 20): a meeting's recording is a list of segments,
-- each one stretch of capture (start or resume to stop, pause or the end of
-- a live session). A segment is 'capturing' (0) until its capture stops,
-- then queued (1) for composing; a composer claims it (2) until
-- claimed_until; it ends ready (3) with its files, or failed (4) with the
-- error. tracks: the captured per-participant files (JSON list);
-- files: what was composed from them (JSON list). Times in seconds.
CREATE TABLE record_segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conf_uuid TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    stopped_at INTEGER,
    state INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_until INTEGER,
    error TEXT,
    tracks TEXT NOT NULL DEFAULT '[]',
    files TEXT NOT NULL DEFAULT '[]',
    dropped INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX record_segments_meeting ON record_segments(conf_uuid, id);
CREATE INDEX record_segments_queue ON record_segments(state, id) WHERE state IN (1, 2);
-- Download links: single use, valid an hour. The token's SHA-256 is kept,
-- never the token.
CREATE TABLE record_downloads (
    token_hash TEXT PRIMARY KEY,
    segment_id INTEGER NOT NULL,
    file TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
-- How long each stay's participant was the meeting's active speaker (ms),
-- for the minutes.
ALTER TABLE attendance ADD COLUMN spoke_ms INTEGER NOT NULL DEFAULT 0;
