-- Booked meetings (state 'scheduled'): several may share a cloud meeting
-- room (and its fixed ID) at different times, so a booked room meeting sets
-- neither active_conf_id nor active_room_id until it starts. "One meeting
-- at a time in a room" is checked over time ranges through this index.
CREATE INDEX meetings_room_time ON meetings(room_id, start_ts) WHERE room_id IS NOT NULL;
