-- What the hosts changed while a meeting ran (lock, waiting room, mute-all,
-- prolonging left), as JSON; NULL until the first change.
ALTER TABLE meetings ADD COLUMN live TEXT;
