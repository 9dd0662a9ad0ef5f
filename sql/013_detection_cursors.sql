-- Several fleetd instances sharing detection: how far each partition's owner has read, written in the
-- transaction of the events it produced, so that a new owner resumes exactly there.
CREATE TABLE IF NOT EXISTS detection_cursors (
    partition   integer PRIMARY KEY,
    partitions  integer NOT NULL,
    xid         xid8 NOT NULL,
    vehicle_id  text NOT NULL,
    channel     text NOT NULL,
    ts          timestamptz NOT NULL,
    owner       text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE detection_cursors IS 'When several fleetd instances share detection: the last reading each partition''s owner fed to its detectors, committed with the events they produced.';
COMMENT ON COLUMN detection_cursors.partition IS 'The partition (a vehicle''s is a hash of its id modulo the partition count).';
COMMENT ON COLUMN detection_cursors.partitions IS 'The partition count it was written under: a cursor of another count is refused.';
COMMENT ON COLUMN detection_cursors.xid IS 'The last reading read: its transaction (readings.xid) ...';
COMMENT ON COLUMN detection_cursors.vehicle_id IS '... its vehicle ...';
COMMENT ON COLUMN detection_cursors.channel IS '... its channel ...';
COMMENT ON COLUMN detection_cursors.ts IS '... and its device time.';
COMMENT ON COLUMN detection_cursors.owner IS 'The fleetd instance that wrote it.';
COMMENT ON COLUMN detection_cursors.updated_at IS 'When it was written.';
