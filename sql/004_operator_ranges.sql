-- Operators' values stay within the ranges in which they can mean something: the same ranges
-- fleetd applies when it loads these rows (FleetCore's OperatorValueRanges). NaN and ±Infinity fail
-- every one of them. NOT VALID: rows already there are not checked by this migration, so an upgrade
-- over a bad row does not fail; fleetd names such rows in its log at every load and skips them, and
-- each constraint is validated below as soon as its table holds no bad row.

ALTER TABLE vehicles
    ADD CONSTRAINT vehicles_tank_capacity_l_range
        CHECK (tank_capacity_l = 0 OR tank_capacity_l BETWEEN 0.001 AND 100000) NOT VALID,
    ADD CONSTRAINT vehicles_fuel_refuel_min_l_range CHECK (fuel_refuel_min_l BETWEEN 0.001 AND 100000) NOT VALID,
    ADD CONSTRAINT vehicles_fuel_drain_min_l_range CHECK (fuel_drain_min_l BETWEEN 0.001 AND 100000) NOT VALID,
    ADD CONSTRAINT vehicles_fuel_trigger_l_range CHECK (fuel_trigger_l BETWEEN 0.001 AND 100000) NOT VALID,
    ADD CONSTRAINT vehicles_fuel_idle_burn_lph_range CHECK (fuel_idle_burn_lph BETWEEN 0 AND 1000) NOT VALID,
    ADD CONSTRAINT vehicles_fuel_max_burn_per_km_l_range CHECK (fuel_max_burn_per_km_l BETWEEN 0.000001 AND 100) NOT VALID,
    ADD CONSTRAINT vehicles_fuel_stuck_min_km_range CHECK (fuel_stuck_min_km > 0 AND fuel_stuck_min_km <= 10000000) NOT VALID,
    ADD CONSTRAINT vehicles_fuel_settle_after_motion_s_range CHECK (fuel_settle_after_motion_s BETWEEN 0 AND 86400) NOT VALID;

ALTER TABLE maintenance_plans
    ADD CONSTRAINT maintenance_plans_interval_km_range CHECK (interval_km > 0 AND interval_km <= 10000000) NOT VALID,
    ADD CONSTRAINT maintenance_plans_interval_days_range CHECK (interval_days BETWEEN 1 AND 36500) NOT VALID,
    ADD CONSTRAINT maintenance_plans_interval_engine_hours_range
        CHECK (interval_engine_hours > 0 AND interval_engine_hours <= 1000000) NOT VALID,
    ADD CONSTRAINT maintenance_plans_notice_km_range CHECK (notice_km BETWEEN 0 AND 10000000) NOT VALID,
    ADD CONSTRAINT maintenance_plans_notice_days_range CHECK (notice_days BETWEEN 0 AND 36500) NOT VALID,
    ADD CONSTRAINT maintenance_plans_created_at_range CHECK (isfinite(created_at)) NOT VALID;

ALTER TABLE service_records
    ADD CONSTRAINT service_records_odometer_km_range CHECK (odometer_km BETWEEN 0 AND 10000000) NOT VALID,
    ADD CONSTRAINT service_records_engine_hours_range CHECK (engine_hours BETWEEN 0 AND 1000000) NOT VALID,
    ADD CONSTRAINT service_records_performed_at_range CHECK (isfinite(performed_at)) NOT VALID;

-- Validate each constraint whose table has no bad row; the others stay NOT VALID (fleetd warns at
-- start) until an operator fixes the rows and runs ALTER TABLE … VALIDATE CONSTRAINT ….
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
             WHERE NOT convalidated AND contype = 'c' AND conname LIKE '%\_range'
               AND connamespace = to_regnamespace(current_schema())
    LOOP
        BEGIN
            EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', c.tbl, c.conname);
        EXCEPTION WHEN check_violation THEN
            NULL;
        END;
    END LOOP;
END $$;
