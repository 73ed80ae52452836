-- Random meeting IDs are derived from a sequence number (a keyed permutation
-- of it, see convene-store's conf_ids.rs): `id_seq` is that number, NULL for
-- IDs that were drawn (cloud meeting rooms' fixed IDs, meetings from before).
-- A derived ID is found through `id_seq`, whose index only grows at its end,
-- so a create no longer writes into an index keyed by a random number
-- (~1.65 of the ~3.2 WAL pages a create wrote); only drawn IDs stay in
-- `meetings_conf_id`.
ALTER TABLE meetings ADD COLUMN id_seq INTEGER;
CREATE UNIQUE INDEX meetings_id_seq ON meetings(id_seq) WHERE id_seq IS NOT NULL;
DROP INDEX meetings_conf_id;
CREATE INDEX meetings_conf_id ON meetings(conf_id, start_ts) WHERE id_seq IS NULL;

-- The permutation's key: made once per database, never shown.
CREATE TABLE store_keys (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
INSERT INTO store_keys (name, value) VALUES ('conf_id', randomblob(16));
