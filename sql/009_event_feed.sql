-- Events out: one sequence numbers every event row of the three event tables in commit order (one
-- fleetd writes them, one batch at a time), so a consumer that was away catches up with a single
-- cursor: everything after the last seq it saw. The events view is the feed `fleetd events` prints
-- and the payload fleetd publishes; NOTIFY fleetd_events carries each committed event's compact form.

CREATE SEQUENCE fleetd_event_seq;
-- Rows already there are numbered in the order they were written (their ids).
ALTER TABLE fuel_transactions ADD COLUMN event_seq bigint;
ALTER TABLE anomalies ADD COLUMN event_seq bigint;
ALTER TABLE maintenance_alerts ADD COLUMN event_seq bigint;
WITH numbered AS (
    SELECT t, id, row_number() OVER (ORDER BY ts, t, id) AS n FROM (
        SELECT 'f' AS t, id, started_at AS ts FROM fuel_transactions
        UNION ALL SELECT 'a', id, ts FROM anomalies
        UNION ALL SELECT 'm', id, ts FROM maintenance_alerts) e
), f AS (UPDATE fuel_transactions x SET event_seq = n FROM numbered WHERE t = 'f' AND numbered.id = x.id RETURNING 1),
   a AS (UPDATE anomalies x SET event_seq = n FROM numbered WHERE t = 'a' AND numbered.id = x.id RETURNING 1),
   m AS (UPDATE maintenance_alerts x SET event_seq = n FROM numbered WHERE t = 'm' AND numbered.id = x.id RETURNING 1)
SELECT (SELECT count(*) FROM f) + (SELECT count(*) FROM a) + (SELECT count(*) FROM m);
SELECT setval('fleetd_event_seq', coalesce((SELECT max(event_seq) FROM (
    SELECT event_seq FROM fuel_transactions UNION ALL SELECT event_seq FROM anomalies
    UNION ALL SELECT event_seq FROM maintenance_alerts) s), 0) + 1, false);
ALTER TABLE fuel_transactions ALTER COLUMN event_seq SET DEFAULT nextval('fleetd_event_seq'), ALTER COLUMN event_seq SET NOT NULL;
ALTER TABLE anomalies ALTER COLUMN event_seq SET DEFAULT nextval('fleetd_event_seq'), ALTER COLUMN event_seq SET NOT NULL;
ALTER TABLE maintenance_alerts ALTER COLUMN event_seq SET DEFAULT nextval('fleetd_event_seq'), ALTER COLUMN event_seq SET NOT NULL;
CREATE UNIQUE INDEX fuel_transactions_event_seq ON fuel_transactions (event_seq);
CREATE UNIQUE INDEX anomalies_event_seq ON anomalies (event_seq);
CREATE UNIQUE INDEX maintenance_alerts_event_seq ON maintenance_alerts (event_seq);

-- Times in the payloads: RFC 3339, UTC, milliseconds.
CREATE FUNCTION fleetd_rfc3339(t timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
COMMENT ON FUNCTION fleetd_rfc3339(timestamptz) IS 'A time as RFC 3339 text, UTC, milliseconds (event payloads).';

CREATE VIEW events AS
SELECT event_seq AS seq, 'fuel_transactions' AS "table", id, kind, vehicle_id, started_at AS ts,
       jsonb_build_object('seq', event_seq, 'table', 'fuel_transactions', 'id', id, 'kind', kind, 'vehicle_id', vehicle_id,
                          'ts', fleetd_rfc3339(started_at), 'ended_at', fleetd_rfc3339(ended_at), 'volume_l', volume_l,
                          'level_before_l', level_before_l, 'level_after_l', level_after_l, 'odometer_km', odometer_km,
                          'lat', lat, 'lon', lon, 'distance_km', distance_km, 'fuel_used_l', fuel_used_l, 'km_per_l', km_per_l) AS event
FROM fuel_transactions
UNION ALL
SELECT event_seq, 'anomalies', id, kind, vehicle_id, ts,
       jsonb_build_object('seq', event_seq, 'table', 'anomalies', 'id', id, 'kind', kind, 'vehicle_id', vehicle_id,
                          'ts', fleetd_rfc3339(ts), 'severity', severity, 'value', value, 'expected', expected, 'details', details)
FROM anomalies
UNION ALL
SELECT event_seq, 'maintenance_alerts', id, level, vehicle_id, ts,
       jsonb_build_object('seq', event_seq, 'table', 'maintenance_alerts', 'id', id, 'kind', level, 'vehicle_id', vehicle_id,
                          'ts', fleetd_rfc3339(ts), 'service', service, 'trigger', trigger, 'odometer_km', odometer_km,
                          'due_odometer_km', due_odometer_km, 'due_at', fleetd_rfc3339(due_at), 'due_engine_hours', due_engine_hours)
FROM maintenance_alerts;

COMMENT ON VIEW events IS 'Every event fleetd detected, one row each, numbered in commit order (seq): refuels and drains, anomalies, maintenance alerts (kind due_soon/overdue). event is the JSON fleetd publishes and fleetd events prints.';
COMMENT ON COLUMN events.seq IS 'Position in the feed: a consumer resumes after the last seq it saw.';
COMMENT ON COLUMN events."table" IS 'The table holding the event.';
COMMENT ON COLUMN events.id IS 'The row id in that table.';
COMMENT ON COLUMN events.kind IS 'refuel, drain, an anomaly kind, due_soon or overdue.';
COMMENT ON COLUMN events.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN events.ts IS 'When it happened (device time).';
COMMENT ON COLUMN events.event IS 'The event as JSON: seq, table, id, kind, vehicle_id, ts and the row''s own fields.';
COMMENT ON COLUMN fuel_transactions.event_seq IS 'Position in the event feed (view events).';
COMMENT ON COLUMN anomalies.event_seq IS 'Position in the event feed (view events).';
COMMENT ON COLUMN maintenance_alerts.event_seq IS 'Position in the event feed (view events).';
