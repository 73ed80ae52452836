-- Enterprise event push (spec §6.1): one subscription per enterprise, set
-- by its administrators. status: 0 enabled (the receiver echoed the
-- verification), 1 not started (or disabled), 2 locked.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL UNIQUE REFERENCES enterprises(id),
    subscriber_id TEXT NOT NULL,
    subscriber_key TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
