import FleetCore
import LibPQ

/// Seeds the operator inputs (`vehicles`, `maintenance_plans`, `service_records`)
/// for a scenario, naming only the columns README documents for operators. Re-running replaces the simulator's own rows.
public enum FleetSeeder {
    public static func seed(_ sim: FleetSimulation, into conn: PGConnection) throws(PGError) {
        let ids = sim.specs.map(\.id)
        let idArray = PGConnection.arrayLiteral(ids)
        try conn.exec("BEGIN")
        do throws(PGError) {
            for chunk in stride(from: 0, to: sim.specs.count, by: 1000) {
                let rows = sim.specs[chunk..<min(chunk + 1000, sim.specs.count)]
                    .map { "('\($0.id)', \($0.tankL))" }.joined(separator: ",")
                try conn.exec("INSERT INTO vehicles (vehicle_id, tank_capacity_l) VALUES \(rows) ON CONFLICT (vehicle_id) DO UPDATE SET tank_capacity_l = EXCLUDED.tank_capacity_l")
            }
            let globalServices = PGConnection.arrayLiteral(sim.plans.filter { $0.vehicleID == nil }.map(\.service))
            try conn.exec("DELETE FROM maintenance_plans WHERE vehicle_id = ANY($1::text[]) OR (vehicle_id IS NULL AND service = ANY($2::text[]))", [idArray, globalServices])
            try conn.exec("DELETE FROM service_records WHERE vehicle_id = ANY($1::text[])", [idArray])
            func lit(_ v: Double?) -> String { v.map { String($0) } ?? "NULL" }
            func lit(_ v: Int?) -> String { v.map { String($0) } ?? "NULL" }
            for chunk in stride(from: 0, to: sim.plans.count, by: 1000) {
                let rows = sim.plans[chunk..<min(chunk + 1000, sim.plans.count)].map { p in
                    "(\(p.vehicleID.map { "'\($0)'" } ?? "NULL"), '\(p.service)', \(lit(p.intervalKm)), \(lit(p.intervalDays)), \(lit(p.intervalEngineHours)), \(lit(p.noticeKm)), \(lit(p.noticeDays)))"
                }.joined(separator: ",")
                try conn.exec("INSERT INTO maintenance_plans (vehicle_id, service, interval_km, interval_days, interval_engine_hours, notice_km, notice_days) VALUES \(rows)")
            }
            for chunk in stride(from: 0, to: sim.serviceRecords.count, by: 1000) {
                let rows = sim.serviceRecords[chunk..<min(chunk + 1000, sim.serviceRecords.count)].map { r in
                    "('\(r.vehicleID)', '\(r.service)', to_timestamp(\(r.performedAtMs) / 1000.0), \(lit(r.odometerKm)), \(lit(r.engineHours)))"
                }.joined(separator: ",")
                try conn.exec("INSERT INTO service_records (vehicle_id, service, performed_at, odometer_km, engine_hours) VALUES \(rows)")
            }
            try conn.exec("COMMIT")
        } catch {
            _ = try? conn.exec("ROLLBACK")
            throw error
        }
    }
}
