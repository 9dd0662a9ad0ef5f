-- What a fleet manager asks, without hand-written SQL over channel rows: each vehicle's latest state
-- in one row, per-day totals in one row per vehicle and day (both kept by fleetd within seconds),
-- fuel in litres whatever the unit reported, maintenance left per plan; and a comment on everything.

CREATE TABLE vehicle_status (
    vehicle_id       text PRIMARY KEY,
    last_seen_at     timestamptz NOT NULL,
    last_received_at timestamptz NOT NULL,
    position_at      timestamptz,
    lat              float8,
    lon              float8,
    heading_deg      float4,
    speed_at         timestamptz,
    speed_kmh        float4,
    fuel_at          timestamptz,
    fuel_l           float8,
    fuel_pct         float4,
    odometer_at      timestamptz,
    odometer_km      float8,
    ignition_at      timestamptz,
    ignition         boolean,
    engine_hours_at  timestamptz,
    engine_hours     float8,
    updated_at       timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50);  -- room for updates in place: a row changes every few seconds

CREATE TABLE vehicle_days (
    vehicle_id       text        NOT NULL,
    day              date        NOT NULL,
    first_at         timestamptz NOT NULL,
    last_at          timestamptz NOT NULL,
    odometer_min_km  float8,
    odometer_max_km  float8,
    engine_hours_min float8,
    engine_hours_max float8,
    fuel_first_at    timestamptz,
    fuel_first_l     float8,
    fuel_first_pct   float4,
    fuel_last_at     timestamptz,
    fuel_last_l      float8,
    fuel_last_pct    float4,
    PRIMARY KEY (vehicle_id, day)
) WITH (fillfactor = 70);

CREATE VIEW fuel_levels AS
SELECT r.vehicle_id, r.ts, r.channel,
       coalesce(r.fuel_l, r.fuel_pct * nullif(v.tank_capacity_l, 0) / 100) AS fuel_l,
       coalesce(r.fuel_pct, r.fuel_l * 100 / nullif(v.tank_capacity_l, 0)) AS fuel_pct,
       r.fuel_l IS NOT NULL AS reported_litres
FROM readings r LEFT JOIN vehicles v ON v.vehicle_id = r.vehicle_id
WHERE r.fuel_l IS NOT NULL OR r.fuel_pct IS NOT NULL;

CREATE VIEW vehicle_daily AS
WITH tx AS (
    SELECT vehicle_id, (started_at AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE kind = 'refuel') AS refuels,
           coalesce(sum(volume_l) FILTER (WHERE kind = 'refuel'), 0) AS refuelled_l,
           count(*) FILTER (WHERE kind = 'drain') AS drains,
           coalesce(sum(volume_l) FILTER (WHERE kind = 'drain'), 0) AS drained_l
    FROM fuel_transactions GROUP BY 1, 2
), an AS (
    SELECT vehicle_id, (ts AT TIME ZONE 'UTC')::date AS day, count(*) AS anomalies
    FROM anomalies GROUP BY 1, 2
), levels AS (
    SELECT d.*,
           coalesce(d.fuel_first_l, d.fuel_first_pct * nullif(v.tank_capacity_l, 0) / 100) AS first_l,
           coalesce(d.fuel_last_l, d.fuel_last_pct * nullif(v.tank_capacity_l, 0) / 100) AS last_l
    FROM vehicle_days d LEFT JOIN vehicles v ON v.vehicle_id = d.vehicle_id
), used AS (
    SELECT l.*, coalesce(tx.refuels, 0) AS refuels, coalesce(tx.refuelled_l, 0) AS refuelled_l,
           coalesce(tx.drains, 0) AS drains, coalesce(tx.drained_l, 0) AS drained_l,
           coalesce(an.anomalies, 0) AS anomalies,
           l.odometer_max_km - l.odometer_min_km AS distance_km,
           l.first_l - l.last_l + coalesce(tx.refuelled_l, 0) - coalesce(tx.drained_l, 0) AS fuel_used_l
    FROM levels l
    LEFT JOIN tx ON tx.vehicle_id = l.vehicle_id AND tx.day = l.day
    LEFT JOIN an ON an.vehicle_id = l.vehicle_id AND an.day = l.day
)
SELECT vehicle_id, day, distance_km, fuel_used_l,
       CASE WHEN fuel_used_l > 0 AND distance_km > 0 THEN distance_km / fuel_used_l END AS km_per_l,
       refuels, refuelled_l, drains, drained_l,
       engine_hours_max - engine_hours_min AS engine_hours,
       anomalies, first_at, last_at
FROM used;

-- The same arithmetic as fleetd's alerts: an interval starts at the vehicle's latest service record
-- of the plan's kind (its odometer, engine hours and date), or at zero counters and the plan's
-- creation without one; a vehicle's own plans and every fleet-wide plan apply to it.
CREATE VIEW maintenance_due AS
WITH plan_vehicle AS (
    SELECT p.*, s.vehicle_id AS vid
    FROM maintenance_plans p JOIN vehicle_status s ON p.vehicle_id IS NULL OR p.vehicle_id = s.vehicle_id
), latest AS (
    SELECT DISTINCT ON (vehicle_id, service) vehicle_id, service, performed_at, odometer_km, engine_hours
    FROM service_records ORDER BY vehicle_id, service, performed_at DESC, id DESC
), due AS (
    SELECT pv.vid AS vehicle_id, pv.service, pv.id AS plan_id,
           CASE WHEN l.vehicle_id IS NULL THEN 0 ELSE l.odometer_km END + pv.interval_km AS due_odometer_km,
           coalesce(l.performed_at, pv.created_at) + make_interval(days => pv.interval_days) AS due_at,
           CASE WHEN l.vehicle_id IS NULL THEN 0 ELSE l.engine_hours END + pv.interval_engine_hours AS due_engine_hours,
           pv.notice_km, pv.notice_days, l.performed_at AS last_service_at
    FROM plan_vehicle pv LEFT JOIN latest l ON l.vehicle_id = pv.vid AND l.service = pv.service
), left_ AS (
    SELECT d.*, s.odometer_km, s.engine_hours,
           d.due_odometer_km - s.odometer_km AS km_left,
           extract(epoch FROM d.due_at - now()) / 86400 AS days_left,
           d.due_engine_hours - s.engine_hours AS engine_hours_left
    FROM due d JOIN vehicle_status s ON s.vehicle_id = d.vehicle_id
)
SELECT vehicle_id, service, plan_id, last_service_at, odometer_km, due_odometer_km, km_left,
       due_at, days_left, engine_hours, due_engine_hours, engine_hours_left,
       CASE WHEN km_left <= 0 OR days_left <= 0 OR engine_hours_left <= 0 THEN 'overdue'
            WHEN (notice_km > 0 AND km_left <= notice_km) OR (notice_days > 0 AND days_left <= notice_days) THEN 'due_soon'
            ELSE 'ok' END AS status
FROM left_;

COMMENT ON TABLE readings IS 'Every accepted reading, once (key vehicle_id, channel, ts); partitioned by UTC day of ts, days past --retention dropped whole. Fields a unit did not send, or sent impossible, are NULL.';
COMMENT ON COLUMN readings.vehicle_id IS 'The vehicle, from the topic fleet/{vehicle_id}/{channel}.';
COMMENT ON COLUMN readings.channel IS 'telemetry, fuel, odometer or gps: the topic the reading came on.';
COMMENT ON COLUMN readings.ts IS 'Device time of the measurement.';
COMMENT ON COLUMN readings.received_at IS 'When fleetd received the MQTT message.';
COMMENT ON COLUMN readings.seq IS 'The unit''s own sequence number, if it sends one.';
COMMENT ON COLUMN readings.fuel_l IS 'Fuel level in litres, as reported (fuel_levels gives litres for units that report percent).';
COMMENT ON COLUMN readings.fuel_pct IS 'Fuel level in percent of the tank, as reported.';
COMMENT ON COLUMN readings.odometer_km IS 'Odometer, km.';
COMMENT ON COLUMN readings.lat IS 'Latitude, degrees (WGS 84).';
COMMENT ON COLUMN readings.lon IS 'Longitude, degrees (WGS 84).';
COMMENT ON COLUMN readings.speed_kmh IS 'Speed, km/h.';
COMMENT ON COLUMN readings.heading_deg IS 'Heading, degrees clockwise from north.';
COMMENT ON COLUMN readings.ignition IS 'Ignition on.';
COMMENT ON COLUMN readings.engine_hours IS 'Engine hour meter, h.';

COMMENT ON TABLE vehicles IS 'One row per vehicle: fleetd adds unknown ones by id; operators set the tank and, optionally, per-vehicle detection thresholds (NULL: derived from the tank).';
COMMENT ON COLUMN vehicles.vehicle_id IS 'The vehicle id units publish under.';
COMMENT ON COLUMN vehicles.tank_capacity_l IS 'Tank capacity, litres (0 or NULL: unknown; percent levels then have no litres).';
COMMENT ON COLUMN vehicles.created_at IS 'When the row was added.';
COMMENT ON COLUMN vehicles.fuel_refuel_min_l IS 'Smallest rise reported as a refuel, litres (NULL: from the tank).';
COMMENT ON COLUMN vehicles.fuel_drain_min_l IS 'Smallest loss reported as a drain, litres (NULL: from the tank).';
COMMENT ON COLUMN vehicles.fuel_trigger_l IS 'Level change that opens a candidate event, litres (NULL: from the tank).';
COMMENT ON COLUMN vehicles.fuel_idle_burn_lph IS 'Fuel an idling engine burns, litres per hour (NULL: from the tank).';
COMMENT ON COLUMN vehicles.fuel_max_burn_per_km_l IS 'Most fuel a km of driving can burn, litres (NULL: from the tank).';
COMMENT ON COLUMN vehicles.fuel_stuck_min_km IS 'Distance over which an unchanged level means a stuck probe, km (NULL: default).';
COMMENT ON COLUMN vehicles.fuel_settle_after_motion_s IS 'Seconds after stopping before the level is trusted (NULL: default).';

COMMENT ON TABLE fuel_transactions IS 'Refuels and drains (fuel theft or leak) detected by fleetd, once each.';
COMMENT ON COLUMN fuel_transactions.id IS 'Row id.';
COMMENT ON COLUMN fuel_transactions.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN fuel_transactions.kind IS 'refuel or drain.';
COMMENT ON COLUMN fuel_transactions.started_at IS 'Device time the level began to change.';
COMMENT ON COLUMN fuel_transactions.ended_at IS 'Device time the level settled.';
COMMENT ON COLUMN fuel_transactions.volume_l IS 'Litres added (refuel) or lost (drain).';
COMMENT ON COLUMN fuel_transactions.level_before_l IS 'Settled level before, litres.';
COMMENT ON COLUMN fuel_transactions.level_after_l IS 'Settled level after, litres.';
COMMENT ON COLUMN fuel_transactions.odometer_km IS 'Odometer at the event, km.';
COMMENT ON COLUMN fuel_transactions.lat IS 'Where it happened: latitude.';
COMMENT ON COLUMN fuel_transactions.lon IS 'Where it happened: longitude.';
COMMENT ON COLUMN fuel_transactions.distance_km IS 'Refuels: km driven since the previous refuel.';
COMMENT ON COLUMN fuel_transactions.fuel_used_l IS 'Refuels: litres used since the previous refuel.';
COMMENT ON COLUMN fuel_transactions.km_per_l IS 'Refuels: distance_km / fuel_used_l.';

COMMENT ON TABLE anomalies IS 'Incidents detected by fleetd, once each; details (jsonb) holds the evidence.';
COMMENT ON COLUMN anomalies.id IS 'Row id.';
COMMENT ON COLUMN anomalies.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN anomalies.kind IS 'fuel_drain, fuel_out_of_range, fuel_sensor_stuck, fuel_dropout, odometer_rollback, odometer_jump, odometer_gps_mismatch, gps_invalid, gps_jump, consumption_outlier or clock_skew.';
COMMENT ON COLUMN anomalies.ts IS 'Device time of the incident.';
COMMENT ON COLUMN anomalies.severity IS 'info, warning or critical.';
COMMENT ON COLUMN anomalies.value IS 'The value observed.';
COMMENT ON COLUMN anomalies.expected IS 'The value expected.';
COMMENT ON COLUMN anomalies.details IS 'Evidence: what was compared, over how many readings, with what confidence.';

COMMENT ON TABLE maintenance_plans IS 'Service intervals, written by operators: per vehicle, or for every vehicle (vehicle_id NULL).';
COMMENT ON COLUMN maintenance_plans.id IS 'Row id.';
COMMENT ON COLUMN maintenance_plans.vehicle_id IS 'The vehicle; NULL: every vehicle.';
COMMENT ON COLUMN maintenance_plans.service IS 'Service name (matches service_records.service).';
COMMENT ON COLUMN maintenance_plans.interval_km IS 'Due every this many km.';
COMMENT ON COLUMN maintenance_plans.interval_days IS 'Due every this many days.';
COMMENT ON COLUMN maintenance_plans.interval_engine_hours IS 'Due every this many engine hours.';
COMMENT ON COLUMN maintenance_plans.notice_km IS 'due_soon this many km before (0: no notice).';
COMMENT ON COLUMN maintenance_plans.notice_days IS 'due_soon this many days before (0: no notice).';
COMMENT ON COLUMN maintenance_plans.created_at IS 'Start of the first interval of a vehicle without a service record.';

COMMENT ON TABLE service_records IS 'Services done, written by operators; each starts a new interval of the plans of that service.';
COMMENT ON COLUMN service_records.id IS 'Row id.';
COMMENT ON COLUMN service_records.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN service_records.service IS 'Service name.';
COMMENT ON COLUMN service_records.performed_at IS 'When it was done.';
COMMENT ON COLUMN service_records.odometer_km IS 'Odometer then, km.';
COMMENT ON COLUMN service_records.engine_hours IS 'Engine hours then.';

COMMENT ON TABLE maintenance_alerts IS 'A plan interval becoming due_soon or overdue for a vehicle, once per interval and level.';
COMMENT ON COLUMN maintenance_alerts.id IS 'Row id.';
COMMENT ON COLUMN maintenance_alerts.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN maintenance_alerts.service IS 'Service name.';
COMMENT ON COLUMN maintenance_alerts.trigger IS 'distance, time or engine_hours: what crossed.';
COMMENT ON COLUMN maintenance_alerts.level IS 'due_soon or overdue.';
COMMENT ON COLUMN maintenance_alerts.ts IS 'Device time of the reading that crossed it.';
COMMENT ON COLUMN maintenance_alerts.odometer_km IS 'Odometer then, km.';
COMMENT ON COLUMN maintenance_alerts.due_odometer_km IS 'Odometer at which the service is due.';
COMMENT ON COLUMN maintenance_alerts.due_at IS 'Date at which the service is due.';
COMMENT ON COLUMN maintenance_alerts.due_engine_hours IS 'Engine hours at which the service is due.';
COMMENT ON COLUMN maintenance_alerts.plan_id IS 'The plan (maintenance_plans.id).';
COMMENT ON COLUMN maintenance_alerts.interval_key IS 'The service record that started the interval (0: none yet).';

COMMENT ON COLUMN rejected_messages.id IS 'Row id.';
COMMENT ON COLUMN rejected_messages.received_at IS 'When fleetd received the message.';
COMMENT ON COLUMN rejected_messages.topic IS 'Its topic.';
COMMENT ON COLUMN rejected_messages.reason IS 'The first refusal''s reason (invalid_json, bad_timestamp, …).';
COMMENT ON COLUMN rejected_messages.detail IS 'What exactly was wrong.';
COMMENT ON COLUMN rejected_messages.payload IS 'The refused reading when it was the only one, else the message; first 4 KiB.';
COMMENT ON COLUMN rejected_messages.spool_id IS 'The spool file it came through.';
COMMENT ON COLUMN rejected_messages.spool_position IS 'Its position there.';
COMMENT ON COLUMN rejected_messages.item IS 'Part of the content key (0).';
COMMENT ON COLUMN rejected_messages.readings_refused IS 'How many of its readings were refused.';
COMMENT ON COLUMN rejected_messages.reasons IS 'Their distinct reasons, first five.';

COMMENT ON COLUMN dead_letters.id IS 'Row id.';
COMMENT ON COLUMN dead_letters.received_at IS 'When fleetd received the message (or wrote the event row).';
COMMENT ON COLUMN dead_letters.topic IS 'The message''s topic, or the event row''s table.';
COMMENT ON COLUMN dead_letters.payload IS 'The message, or the event row as JSON.';
COMMENT ON COLUMN dead_letters.spool_id IS 'The spool file it came through.';
COMMENT ON COLUMN dead_letters.spool_position IS 'Its position there.';
COMMENT ON COLUMN dead_letters.source IS 'message or event.';
COMMENT ON COLUMN dead_letters.item IS 'Index of the event row within its batch (0 for messages).';
COMMENT ON COLUMN dead_letters.sqlstate IS 'PostgreSQL''s error code.';
COMMENT ON COLUMN dead_letters.error IS 'PostgreSQL''s error message.';

COMMENT ON TABLE ingest_checkpoint IS 'fleetd internal: the spool position each spool file''s committed batches cover (replay starts there).';
COMMENT ON COLUMN ingest_checkpoint.spool_id IS 'The spool file.';
COMMENT ON COLUMN ingest_checkpoint.position IS 'Committed up to here.';
COMMENT ON COLUMN ingest_checkpoint.updated_at IS 'When.';
COMMENT ON TABLE vehicle_state IS 'fleetd internal: each vehicle''s detector state as of its spool''s snapshot (binary).';
COMMENT ON COLUMN vehicle_state.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN vehicle_state.state IS 'Detector state, fleetd''s binary form.';
COMMENT ON COLUMN vehicle_state.updated_at IS 'When.';
COMMENT ON TABLE detector_checkpoint IS 'fleetd internal: where the detector snapshot stands in a spool.';
COMMENT ON COLUMN detector_checkpoint.spool_id IS 'The spool file.';
COMMENT ON COLUMN detector_checkpoint.position IS 'Snapshot position.';
COMMENT ON COLUMN detector_checkpoint.clock_ms IS 'The detectors'' receiving clock then, ms.';
COMMENT ON COLUMN detector_checkpoint.updated_at IS 'When.';
COMMENT ON TABLE detector_ticks IS 'fleetd internal: clock advances made while the stream idled, so a replay makes them at the same positions.';
COMMENT ON COLUMN detector_ticks.spool_id IS 'The spool file.';
COMMENT ON COLUMN detector_ticks.position IS 'Stream position.';
COMMENT ON COLUMN detector_ticks.clock_ms IS 'Receiving clock, ms.';
COMMENT ON TABLE schema_migrations IS 'fleetd internal: migrations applied.';
COMMENT ON COLUMN schema_migrations.version IS 'Migration number.';
COMMENT ON COLUMN schema_migrations.name IS 'Its file.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When.';

COMMENT ON TABLE vehicle_status IS 'One row per vehicle: its latest known state, merged across channels by device time, written within about 5 s of the readings. Each part carries the device time it was measured at.';
COMMENT ON COLUMN vehicle_status.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN vehicle_status.last_seen_at IS 'Device time of its latest reading.';
COMMENT ON COLUMN vehicle_status.last_received_at IS 'When fleetd last received a reading of it.';
COMMENT ON COLUMN vehicle_status.position_at IS 'Device time of the position.';
COMMENT ON COLUMN vehicle_status.lat IS 'Latest latitude.';
COMMENT ON COLUMN vehicle_status.lon IS 'Latest longitude.';
COMMENT ON COLUMN vehicle_status.heading_deg IS 'Heading with that position.';
COMMENT ON COLUMN vehicle_status.speed_at IS 'Device time of the speed.';
COMMENT ON COLUMN vehicle_status.speed_kmh IS 'Latest speed, km/h.';
COMMENT ON COLUMN vehicle_status.fuel_at IS 'Device time of the fuel level.';
COMMENT ON COLUMN vehicle_status.fuel_l IS 'Latest fuel level, litres (from percent and the tank when the unit reports percent); a reading of exactly 0 is a dropped-out probe and not taken.';
COMMENT ON COLUMN vehicle_status.fuel_pct IS 'Latest fuel level, percent of the tank.';
COMMENT ON COLUMN vehicle_status.odometer_at IS 'Device time of the odometer.';
COMMENT ON COLUMN vehicle_status.odometer_km IS 'Latest odometer, km.';
COMMENT ON COLUMN vehicle_status.ignition_at IS 'Device time of the ignition state.';
COMMENT ON COLUMN vehicle_status.ignition IS 'Ignition on.';
COMMENT ON COLUMN vehicle_status.engine_hours_at IS 'Device time of the engine hours.';
COMMENT ON COLUMN vehicle_status.engine_hours IS 'Latest engine hour meter.';
COMMENT ON COLUMN vehicle_status.updated_at IS 'When fleetd last wrote the row.';

COMMENT ON TABLE vehicle_days IS 'One row per vehicle and UTC day of device time, kept by fleetd with vehicle_status: the ranges and levels vehicle_daily turns into distance, fuel used and km/L. Not dropped with the readings.';
COMMENT ON COLUMN vehicle_days.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN vehicle_days.day IS 'UTC day.';
COMMENT ON COLUMN vehicle_days.first_at IS 'Device time of the day''s first reading.';
COMMENT ON COLUMN vehicle_days.last_at IS 'Device time of the day''s last reading.';
COMMENT ON COLUMN vehicle_days.odometer_min_km IS 'Lowest odometer of the day.';
COMMENT ON COLUMN vehicle_days.odometer_max_km IS 'Highest odometer of the day.';
COMMENT ON COLUMN vehicle_days.engine_hours_min IS 'Lowest engine hours of the day.';
COMMENT ON COLUMN vehicle_days.engine_hours_max IS 'Highest engine hours of the day.';
COMMENT ON COLUMN vehicle_days.fuel_first_at IS 'Device time of the day''s first fuel level.';
COMMENT ON COLUMN vehicle_days.fuel_first_l IS 'First fuel level, litres as reported (readings of exactly 0, dropped-out probes, are not levels).';
COMMENT ON COLUMN vehicle_days.fuel_first_pct IS 'First fuel level, percent as reported.';
COMMENT ON COLUMN vehicle_days.fuel_last_at IS 'Device time of the day''s last fuel level.';
COMMENT ON COLUMN vehicle_days.fuel_last_l IS 'Last fuel level, litres as reported.';
COMMENT ON COLUMN vehicle_days.fuel_last_pct IS 'Last fuel level, percent as reported.';

COMMENT ON VIEW fuel_levels IS 'Every fuel reading in litres and percent, whichever the unit reported (the other from vehicles.tank_capacity_l). Filter on ts: only the partitions asked for are read.';
COMMENT ON COLUMN fuel_levels.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN fuel_levels.ts IS 'Device time.';
COMMENT ON COLUMN fuel_levels.channel IS 'The channel it came on.';
COMMENT ON COLUMN fuel_levels.fuel_l IS 'Level, litres (NULL: percent reported and tank unknown).';
COMMENT ON COLUMN fuel_levels.fuel_pct IS 'Level, percent (NULL: litres reported and tank unknown).';
COMMENT ON COLUMN fuel_levels.reported_litres IS 'The unit reported litres (else percent).';

COMMENT ON VIEW vehicle_daily IS 'Per vehicle and UTC day: distance (odometer range), fuel used (first level − last level + refuelled − drained), km/L, refuels, drains, engine hours, anomalies. A day with an odometer glitch shows it in distance_km: check anomalies.';
COMMENT ON COLUMN vehicle_daily.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN vehicle_daily.day IS 'UTC day.';
COMMENT ON COLUMN vehicle_daily.distance_km IS 'Km driven (highest − lowest odometer).';
COMMENT ON COLUMN vehicle_daily.fuel_used_l IS 'Litres burned: first level − last level + refuelled − drained.';
COMMENT ON COLUMN vehicle_daily.km_per_l IS 'distance_km / fuel_used_l, when both are positive.';
COMMENT ON COLUMN vehicle_daily.refuels IS 'Refuels that began that day.';
COMMENT ON COLUMN vehicle_daily.refuelled_l IS 'Their litres.';
COMMENT ON COLUMN vehicle_daily.drains IS 'Drains (theft, leak) that began that day.';
COMMENT ON COLUMN vehicle_daily.drained_l IS 'Their litres.';
COMMENT ON COLUMN vehicle_daily.engine_hours IS 'Engine hours run.';
COMMENT ON COLUMN vehicle_daily.anomalies IS 'Anomalies that day.';
COMMENT ON COLUMN vehicle_daily.first_at IS 'Device time of the day''s first reading.';
COMMENT ON COLUMN vehicle_daily.last_at IS 'Device time of the day''s last reading.';

COMMENT ON VIEW maintenance_due IS 'Every plan that applies to each vehicle, with km, days and engine hours left in its current interval (the arithmetic of maintenance_alerts) and its status: ok, due_soon or overdue.';
COMMENT ON COLUMN maintenance_due.vehicle_id IS 'The vehicle.';
COMMENT ON COLUMN maintenance_due.service IS 'Service name.';
COMMENT ON COLUMN maintenance_due.plan_id IS 'The plan.';
COMMENT ON COLUMN maintenance_due.last_service_at IS 'When this service was last done (NULL: never recorded).';
COMMENT ON COLUMN maintenance_due.odometer_km IS 'Odometer now.';
COMMENT ON COLUMN maintenance_due.due_odometer_km IS 'Odometer at which it is due.';
COMMENT ON COLUMN maintenance_due.km_left IS 'Km until due (negative: overdue by).';
COMMENT ON COLUMN maintenance_due.due_at IS 'Date at which it is due.';
COMMENT ON COLUMN maintenance_due.days_left IS 'Days until due (negative: overdue by).';
COMMENT ON COLUMN maintenance_due.engine_hours IS 'Engine hours now.';
COMMENT ON COLUMN maintenance_due.due_engine_hours IS 'Engine hours at which it is due.';
COMMENT ON COLUMN maintenance_due.engine_hours_left IS 'Engine hours until due.';
COMMENT ON COLUMN maintenance_due.status IS 'overdue, due_soon or ok.';
