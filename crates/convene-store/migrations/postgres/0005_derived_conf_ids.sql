-- SQLite derives random meeting IDs from a sequence number (`id_seq`, see
-- ../sqlite/0005_derived_conf_ids.sql). PostgreSQL, with several nodes
-- creating at once, keeps drawing them at random and finding them through
-- `meetings_conf_id`; it has the column, always NULL, so that both run the
-- same statements.
ALTER TABLE meetings ADD COLUMN id_seq BIGINT;
CREATE UNIQUE INDEX meetings_id_seq ON meetings(id_seq) WHERE id_seq IS NOT NULL;
