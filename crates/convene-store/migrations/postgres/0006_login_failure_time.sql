-- See ../sqlite/0006_login_failure_time.sql.
ALTER TABLE login_failures ADD COLUMN last_failed_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX login_failures_last ON login_failures(last_failed_at);
