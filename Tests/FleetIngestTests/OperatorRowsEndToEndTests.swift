import FleetCore
import Foundation
import LibPQ
import Testing
@testable import FleetIngest

/// Operators' rows that cannot mean anything (NaN, ±Infinity, 1e300, negative or century-long
/// intervals, an `infinity` timestamp): the database refuses new ones, and rows that were there before
/// the constraints are skipped and named at load while every other vehicle is served.
extension OnTheTestStack {
    @Suite struct OperatorRowsEndToEndTests {
        static let ranges = [
            "vehicles": ["vehicles_tank_capacity_l_range", "vehicles_fuel_settle_after_motion_s_range"],
            "maintenance_plans": ["maintenance_plans_interval_days_range"],
            "service_records": ["service_records_performed_at_range"],
        ]

        @Test func newBadRowsAreRefusedByTheDatabase() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            let conn = try db.connect()
            for bad in [
                "INSERT INTO vehicles (vehicle_id, fuel_settle_after_motion_s) VALUES ('op1', 1e300)",
                "INSERT INTO vehicles (vehicle_id, tank_capacity_l) VALUES ('op2', 'NaN')",
                "INSERT INTO vehicles (vehicle_id, fuel_drain_min_l) VALUES ('op3', '-Infinity')",
                "INSERT INTO maintenance_plans (service, interval_days) VALUES ('oil', -5)",
                "INSERT INTO maintenance_plans (service, interval_days) VALUES ('oil', 2000000000)",
                "INSERT INTO maintenance_plans (service, interval_km) VALUES ('oil', 'Infinity')",
                "INSERT INTO service_records (vehicle_id, service, performed_at) VALUES ('v', 'oil', 'infinity')",
            ] {
                #expect(throws: PGError.self, "\(bad)") { try conn.exec(bad) }
            }
            // The edges a person may mean are taken.
            try conn.exec("INSERT INTO vehicles (vehicle_id, tank_capacity_l, fuel_settle_after_motion_s) VALUES ('ok1', 0, 0)")
            try conn.exec("INSERT INTO maintenance_plans (service, interval_days, notice_days) VALUES ('oil', 36500, 0)")
            #expect(try db.count("SELECT count(*) FROM pg_constraint WHERE conname LIKE '%\\_range' AND NOT convalidated") == 0)
        }

        @Test func badRowsFromBeforeTheUpgradeAreSkippedAndNamedAndTheFleetIsServed() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            let conn = try db.connect()
            // The database as it was before the range constraints, with rows a careless script wrote.
            let constraints = try conn.exec("SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE conname LIKE '%\\_range'")
            for i in 0..<constraints.rowCount {
                try conn.exec("ALTER TABLE \(constraints.string(i, 0)!) DROP CONSTRAINT \(constraints.string(i, 1)!)")
            }
            try conn.exec("DELETE FROM schema_migrations WHERE version = 4")
            try conn.exec("""
                INSERT INTO vehicles (vehicle_id, fuel_settle_after_motion_s) VALUES ('op1', 1e300);
                INSERT INTO vehicles (vehicle_id, tank_capacity_l) VALUES ('op2', 'NaN');
                INSERT INTO maintenance_plans (vehicle_id, service, interval_days) VALUES ('op1', 'oil', -5), ('op1', 'tyres', 2000000000);
                INSERT INTO service_records (vehicle_id, service, performed_at) VALUES ('op1', 'oil', 'infinity');
                INSERT INTO maintenance_plans (vehicle_id, service, interval_km, notice_km) VALUES ('good1', 'brakes', 3000, 200);
                """)
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            #expect(eventually { fleetd.metric(#"fleetd_operator_rows_invalid_total{table="vehicles"}"#) == 2 })
            #expect(fleetd.metric(#"fleetd_operator_rows_invalid_total{table="maintenance_plans"}"#) == 2)
            #expect(fleetd.metric(#"fleetd_operator_rows_invalid_total{table="service_records"}"#) == 1)
            // Every other vehicle is served: good1's plan raises its alert.
            let t0: Int64 = 1_767_225_600_000
            try Traffic.publish((0..<20).map { i in
                let body = #"{"ts":\#(t0 + Int64(i) * 1000),"odometer_km":\#(4_000 + Double(i) * 0.01),"speed_kmh":40,"ignition":true}"#
                return Traffic.Message(topic: "fleet/good1/telemetry", payload: Array(body.utf8))
            })
            #expect(try eventually(timeout: .seconds(30)) { try db.count("SELECT count(*) FROM maintenance_alerts WHERE vehicle_id = 'good1' AND level = 'overdue'") == 1 })
            // A reload does not count the same rows again; fixing one makes it count no more.
            let loads = try #require(fleetd.metric("fleetd_operator_inputs_loads_total"))
            try conn.exec("UPDATE vehicles SET tank_capacity_l = 80 WHERE vehicle_id = 'op2'")
            #expect(eventually { (fleetd.metric("fleetd_operator_inputs_loads_total") ?? 0) > loads })
            #expect(fleetd.metric(#"fleetd_operator_rows_invalid_total{table="vehicles"}"#) == 2)
            #expect(fleetd.isRunning)
            #expect(fleetd.terminate() == 0)
            let log = fleetd.log
            #expect(log.contains("operator row skipped") && log.contains("op1") && log.contains("fuel_settle_after_motion_s"))
            #expect(log.contains("interval_days") && log.contains("performed_at"))
            // The constraints stand for new rows, left NOT VALID where old rows break them, and fleetd says how to end that.
            #expect(log.contains("VALIDATE CONSTRAINT vehicles_fuel_settle_after_motion_s_range"))
            #expect(try db.count("SELECT count(*) FROM pg_constraint WHERE conname = 'vehicles_fuel_settle_after_motion_s_range' AND NOT convalidated") == 1)
            #expect(try db.count("SELECT count(*) FROM pg_constraint WHERE conname = 'vehicles_fuel_drain_min_l_range' AND convalidated") == 1)
            #expect(throws: PGError.self) { try conn.exec("INSERT INTO vehicles (vehicle_id, fuel_trigger_l) VALUES ('op9', 'NaN')") }
        }
    }
}
