-- Several fleetd instances sharing detection: each reads its partitions' readings back in commit order.
-- The column is added empty (no rewrite of a large table); only rows written from now on carry it.
ALTER TABLE readings ADD COLUMN IF NOT EXISTS xid xid8;
ALTER TABLE readings ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
COMMENT ON COLUMN readings.xid IS 'The transaction that stored the row (fleetd''s batch): the order in which detection shared by several fleetd instances reads readings back. Empty for rows stored before the column existed.';
