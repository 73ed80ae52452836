-- Recurring series: each occurrence is a meeting row of its own (its own
-- conf_uuid), sharing the series' conf_id; `series_id` is the series' ID
-- (a UUID of its own), NULL for a meeting that is not recurring.
-- A booked occurrence holds no unique key (as a booked room meeting): the
-- ID stays reserved because creation counts booked occurrences as holding
-- it (RUNNING_WITH_ID_SQL), and each takes the key when it starts.
ALTER TABLE meetings ADD COLUMN series_id TEXT;
CREATE INDEX meetings_series ON meetings(series_id, start_ts) WHERE series_id IS NOT NULL;
