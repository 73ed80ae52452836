-- Several nodes (issue 22): the node that captures a recording segment
-- keeps its tracks on its own disk, so only that node composes it ('' for
-- a node alone). A segment whose node died while capturing is marked
-- failed by the node that takes the meeting over; the node, if it comes
-- back, may still close it with what it captured.
ALTER TABLE record_segments ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
