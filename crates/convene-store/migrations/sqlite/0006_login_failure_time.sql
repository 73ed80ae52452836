-- When an account name's last wrong password came, so that a run of failures
-- is forgotten after a day (`convene_core::auth::FAILURE_MEMORY_SECONDS`) and
-- records that no longer matter are deleted instead of kept for ever (every
-- made-up name tried leaves one). Records from before count as old.
ALTER TABLE login_failures ADD COLUMN last_failed_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX login_failures_last ON login_failures(last_failed_at);
