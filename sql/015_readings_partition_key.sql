-- Shared detection: each reading's partition key (the top 31 bits of FNV-1a over its vehicle id,
-- written by fleetd), so the owner of some partitions asks for their rows only (partition_key % count)
-- instead of reading every row back. Rows stored before the column have none: every owner reads those.
ALTER TABLE readings ADD COLUMN IF NOT EXISTS partition_key integer;
COMMENT ON COLUMN readings.partition_key IS 'The vehicle''s detection partition key (fleetd''s hash of vehicle_id); its partition is partition_key % the partition count. Empty on rows older than the column.';
