-- See ../sqlite/0008_outbox.sql.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    conf_uuid TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    name TEXT NOT NULL,
    host BIGINT NOT NULL,
    calendar BIGINT NOT NULL,
    sequence BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox(next_at) WHERE state = 'pending';
CREATE INDEX outbox_meeting ON outbox(conf_uuid);
