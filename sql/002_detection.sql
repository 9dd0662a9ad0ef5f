-- Detection: per-vehicle threshold overrides, idempotent maintenance alerts, detector snapshots,
-- and notifications so operators' edits reach a running fleetd at once.

-- Per-vehicle overrides of the tank-derived fuel thresholds (NULL = default).
ALTER TABLE vehicles
    ADD COLUMN fuel_refuel_min_l          float8,
    ADD COLUMN fuel_drain_min_l           float8,
    ADD COLUMN fuel_trigger_l             float8,
    ADD COLUMN fuel_idle_burn_lph         float8,
    ADD COLUMN fuel_max_burn_per_km_l     float8,
    ADD COLUMN fuel_stuck_min_km          float8,
    ADD COLUMN fuel_settle_after_motion_s float8;

-- Once per plan interval and level: the interval is named by the service record that started it
-- (0 = no record yet), so a replay or a restart cannot raise an alert twice.
ALTER TABLE maintenance_alerts
    ADD COLUMN plan_id      bigint,
    ADD COLUMN interval_key bigint,
    ADD CONSTRAINT maintenance_alerts_once UNIQUE (vehicle_id, plan_id, level, interval_key);

-- Detector state of each vehicle as of its spool's snapshot position (FleetCore.VehicleState in
-- fleetd's binary snapshot form, see BinaryState).
CREATE TABLE vehicle_state (
    vehicle_id text PRIMARY KEY,
    state      bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Where the snapshot stands in a spool: replay from here rebuilds the detectors exactly.
CREATE TABLE detector_checkpoint (
    spool_id   text PRIMARY KEY,
    position   bigint      NOT NULL,
    clock_ms   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Receiving-clock advances made while the stream was idle (they release quiet vehicles' held
-- readings): recorded so a replay makes them at the same stream positions.
CREATE TABLE detector_ticks (
    spool_id text   NOT NULL,
    position bigint NOT NULL,
    clock_ms bigint NOT NULL,
    PRIMARY KEY (spool_id, position, clock_ms)
);

CREATE FUNCTION fleetd_notify_config() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fleetd_config', TG_TABLE_NAME);
    RETURN NULL;
END $$;

CREATE TRIGGER maintenance_plans_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON maintenance_plans
    FOR EACH STATEMENT EXECUTE FUNCTION fleetd_notify_config();
CREATE TRIGGER service_records_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON service_records
    FOR EACH STATEMENT EXECUTE FUNCTION fleetd_notify_config();
-- fleetd itself adds unknown vehicles by id alone: only rows that set something notify.
CREATE TRIGGER vehicles_updated AFTER UPDATE ON vehicles
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION fleetd_notify_config();
CREATE TRIGGER vehicles_deleted AFTER DELETE ON vehicles
    FOR EACH STATEMENT EXECUTE FUNCTION fleetd_notify_config();
CREATE TRIGGER vehicles_inserted AFTER INSERT ON vehicles
    FOR EACH ROW WHEN (NEW.tank_capacity_l IS NOT NULL OR NEW.fuel_refuel_min_l IS NOT NULL
        OR NEW.fuel_drain_min_l IS NOT NULL OR NEW.fuel_trigger_l IS NOT NULL OR NEW.fuel_idle_burn_lph IS NOT NULL
        OR NEW.fuel_max_burn_per_km_l IS NOT NULL OR NEW.fuel_stuck_min_km IS NOT NULL
        OR NEW.fuel_settle_after_motion_s IS NOT NULL)
    EXECUTE FUNCTION fleetd_notify_config();
