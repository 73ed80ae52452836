-- See ../postgres/0017_cluster.sql (one node on SQLite holds every lease).
-- meeting_leases: which node runs a live meeting's session. A lease is
-- taken when no one holds it or the holder's ran out; every takeover adds
-- one to epoch (the fencing token: a node whose epoch is not the row's no
-- longer owns the meeting). A released lease keeps its row (expires_at 0)
-- so that epochs only grow. Times in Unix milliseconds.
CREATE TABLE meeting_leases (
    conf_uuid TEXT PRIMARY KEY,
    node_id TEXT NOT NULL,
    node_url TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
-- App ID login nonces, remembered until their signature expires (a replay
-- through any node is refused). Unix seconds.
CREATE TABLE app_nonces (
    app_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    until_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, nonce)
);
CREATE INDEX app_nonces_until ON app_nonces(until_at);
-- The REST control tokens (their SHA-256), for the meeting they control.
CREATE TABLE control_tokens (
    token_key TEXT PRIMARY KEY,
    conf_uuid TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX control_tokens_expires ON control_tokens(expires_at);
-- A live meeting's handover: what the node running it keeps for the next
-- one to take it over (JSON, convene_core::session::Handover), written
-- only while that node's lease holds with this epoch.
CREATE TABLE meeting_handovers (
    conf_uuid TEXT PRIMARY KEY,
    epoch INTEGER NOT NULL,
    doc TEXT NOT NULL
);
