-- convene schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql.
CREATE TABLE enterprises (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE rooms (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    kind TEXT NOT NULL CHECK (kind IN ('personal', 'shared')),
    owner_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX rooms_enterprise ON rooms(enterprise_id, kind);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    account TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    app_id TEXT,
    third_user_id TEXT,
    personal_room TEXT NOT NULL UNIQUE REFERENCES rooms(id),
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_app ON users(app_id, third_user_id);

CREATE TABLE apps (
    app_id TEXT PRIMARY KEY,
    app_key TEXT NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES enterprises(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE login_failures (
    account TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_key TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- One row per meeting: `doc` is the whole meeting as JSON, the other columns
-- are what is searched or must be unique. `active_conf_id` / `active_room_id`
-- are set while the meeting runs and cleared when it ends.
-- "One running meeting per room" is a unique index. "One running meeting per
-- ID" is checked by the single writer inside its transaction (SQLite has one
-- writer), which spares every create a write into a second randomly keyed
-- index; PostgreSQL, with several nodes, has a unique index instead.
CREATE TABLE meetings (
    conf_uuid TEXT PRIMARY KEY,
    conf_id TEXT NOT NULL,
    active_conf_id TEXT,
    room_id TEXT,
    active_room_id TEXT,
    owner_id TEXT NOT NULL,
    enterprise_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    doc TEXT NOT NULL
);
-- Partial: most meetings use no room, and need no entry here.
CREATE UNIQUE INDEX meetings_active_room ON meetings(active_room_id) WHERE active_room_id IS NOT NULL;
CREATE INDEX meetings_conf_id ON meetings(conf_id, start_ts);
CREATE INDEX meetings_owner ON meetings(owner_id, start_ts);
