-- Shared detection, as the daemon uses it: each partition's whole mark (where reading got to, where
-- the readings still waiting to be fed in receipt order are read again from, the last one fed, the
-- receiving clock) goes with its cursor; the read position keeps its columns for people.
ALTER TABLE detection_cursors ADD COLUMN IF NOT EXISTS received_at timestamptz;
ALTER TABLE detection_cursors ADD COLUMN IF NOT EXISTS mark jsonb;
COMMENT ON COLUMN detection_cursors.received_at IS '... its receipt time (the order within its transaction).';
COMMENT ON COLUMN detection_cursors.mark IS 'Everything the partition''s next owner resumes from, as fleetd wrote it (read position, re-read position, last reading fed, clocks).';
