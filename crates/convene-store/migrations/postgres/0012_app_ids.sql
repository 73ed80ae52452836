-- App IDs managed over REST by an enterprise's administrators: a name, a
-- description, whether it is disabled (its logins refused), when it changed.
ALTER TABLE apps ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE apps ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
