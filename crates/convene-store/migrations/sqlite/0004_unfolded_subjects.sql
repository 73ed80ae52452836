-- The rows the store still has to fold at open (subject_key NULL, from
-- before 0003): empty once they are folded, and new meetings never enter it,
-- so each start finds them without scanning every meeting.
CREATE INDEX meetings_unfolded ON meetings(conf_uuid) WHERE subject_key IS NULL;
