-- The subject folded to lower case by convene (Rust's Unicode rules), which
-- a subject search matches: SQLite's LOWER folds only ASCII, so "Ärzte"
-- was not found by "ärzte" there. Rows from before are folded by the store
-- when it opens (NULL until then).
ALTER TABLE meetings ADD COLUMN subject_key TEXT;
