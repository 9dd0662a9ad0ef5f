-- readings, range-partitioned by device time (ts), one partition per UTC day: fleetd creates days
-- ahead and drops whole days past --retention, so old data leaves without DELETE or VACUUM. The
-- key keeps ts, so a message delivered twice meets its twin in the same partition. Rows whose
-- device clock is far off (1990, 2150) land in readings_default; fleetd moves them into a day's
-- partition when it creates that day, and deletes them by received_at past the retention.
--
-- Upgrade: the existing table is not rewritten. It is renamed readings_legacy and attached as the
-- partition of everything before tomorrow (UTC), after its rows dated later (far-off clocks, so few)
-- move to the default partition. Attaching reads the table once to check that bound; its primary key
-- index is kept as the partition's. readings_legacy is dropped whole once tomorrow is past the
-- retention. An empty table (a new install) is simply replaced.

ALTER TABLE readings RENAME TO readings_legacy;
ALTER INDEX readings_pkey RENAME TO readings_legacy_pkey;

-- The same columns (an operator's added ones too: attaching needs them identical).
CREATE TABLE readings (LIKE readings_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)
    PARTITION BY RANGE (ts);
ALTER TABLE readings ADD PRIMARY KEY (vehicle_id, channel, ts);

CREATE TABLE readings_default PARTITION OF readings DEFAULT;

DO $$
DECLARE
    cut timestamptz := (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC';
BEGIN
    IF EXISTS (SELECT 1 FROM readings_legacy) THEN
        WITH moved AS (DELETE FROM readings_legacy WHERE ts >= cut RETURNING *)
        INSERT INTO readings_default SELECT * FROM moved;
        EXECUTE format('ALTER TABLE readings ATTACH PARTITION readings_legacy FOR VALUES FROM (MINVALUE) TO (%L)', cut);
    ELSE
        DROP TABLE readings_legacy;
    END IF;
END $$;

-- "What arrived in the last hour": received_at follows insertion order, which a BRIN index
-- summarises in a few pages per partition.
CREATE INDEX readings_received_at ON readings USING brin (received_at);
