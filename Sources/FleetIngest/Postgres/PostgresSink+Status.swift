import FleetCore
import LibPQ

/// `vehicle_status` and `vehicle_days` move with the batch that carries a status (`IngestBatch.status`),
/// in its transaction: readings folded per vehicle and per vehicle-day (`FleetStatus`), staged in
/// binary, and merged into the rows by device time the way `FleetStatus` merges, so rows do not depend
/// on how readings were cut into writes, nor on a replay merging some twice.
extension PostgresSink {
    /// Each part of the status with its time column: the part is taken whole from the newer side.
    static let statusParts: [(at: String, columns: [String])] = [
        ("position_at", ["lat", "lon", "heading_deg"]), ("speed_at", ["speed_kmh"]), ("fuel_at", ["fuel_l", "fuel_pct"]),
        ("odometer_at", ["odometer_km"]), ("ignition_at", ["ignition"]), ("engine_hours_at", ["engine_hours"]),
    ]

    /// Sorted by key, so two writers of the same vehicles take their row locks in one order.
    static let upsertStatus: String = {
        let later = statusParts.flatMap { part in
            ([part.at] + part.columns).map { c in
                "\(c) = CASE WHEN s.\(part.at) IS NULL OR excluded.\(part.at) >= s.\(part.at) THEN excluded.\(c) ELSE s.\(c) END"
            }
        }
        return """
            INSERT INTO vehicle_status AS s (\(CopyBinaryEncoder.statusColumns), updated_at)
            SELECT st.vehicle_id, st.last_seen_at, st.last_received_at, st.position_at, st.lat, st.lon, st.heading_deg,
                   st.speed_at, st.speed_kmh, st.fuel_at,
                   coalesce(st.fuel_l, st.fuel_pct * nullif(v.tank_capacity_l, 0) / 100),
                   coalesce(st.fuel_pct, st.fuel_l * 100 / nullif(v.tank_capacity_l, 0)),
                   st.odometer_at, st.odometer_km, st.ignition_at, st.ignition, st.engine_hours_at, st.engine_hours, now()
            FROM fleetd_stage_status st LEFT JOIN vehicles v ON v.vehicle_id = st.vehicle_id
            ORDER BY st.vehicle_id
            ON CONFLICT (vehicle_id) DO UPDATE SET
                last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at),
                last_received_at = greatest(s.last_received_at, excluded.last_received_at),
                \(later.joined(separator: ",\n    "))
                , updated_at = excluded.updated_at
            """
    }()

    static let upsertDays: String = {
        func pick(_ at: String, _ columns: [String], _ op: String) -> [String] {
            ([at] + columns).map { c in "\(c) = CASE WHEN d.\(at) IS NULL OR excluded.\(at) \(op) d.\(at) THEN excluded.\(c) ELSE d.\(c) END" }
        }
        let sets = ["first_at = least(d.first_at, excluded.first_at)", "last_at = greatest(d.last_at, excluded.last_at)",
                    "odometer_min_km = least(d.odometer_min_km, excluded.odometer_min_km)",
                    "odometer_max_km = greatest(d.odometer_max_km, excluded.odometer_max_km)",
                    "engine_hours_min = least(d.engine_hours_min, excluded.engine_hours_min)",
                    "engine_hours_max = greatest(d.engine_hours_max, excluded.engine_hours_max)"]
            + pick("fuel_first_at", ["fuel_first_l", "fuel_first_pct"], "<")
            + pick("fuel_last_at", ["fuel_last_l", "fuel_last_pct"], ">=")
        return """
            INSERT INTO vehicle_days AS d (\(CopyBinaryEncoder.dayColumns))
            SELECT \(CopyBinaryEncoder.dayColumns) FROM fleetd_stage_days ORDER BY vehicle_id, day
            ON CONFLICT (vehicle_id, day) DO UPDATE SET
                \(sets.joined(separator: ",\n    "))
            """
    }()

    /// Merges `status` into the two tables inside the caller's transaction, behind a savepoint: rows
    /// PostgreSQL refuses (an operator's trigger, a broken table) are dropped and the error returned,
    /// so the batch, its checkpoint and its snapshot still commit. A lost connection is thrown.
    func writeStatusIfAccepted(_ status: FleetStatus) throws(PGError) -> PGError? {
        try db.exec("SAVEPOINT fleetd_status")
        do throws(PGError) {
            try writeStatus(status)
            try db.exec("RELEASE SAVEPOINT fleetd_status")
            return nil
        } catch where error.disposition == .isolate {
            try db.exec("ROLLBACK TO SAVEPOINT fleetd_status")
            return error
        }
    }

    private func writeStatus(_ status: FleetStatus) throws(PGError) {
        guard !status.isEmpty else { return }
        var copy = CopyBinaryEncoder()
        for s in status.statuses { copy.statusRow(s) }
        copy.end()
        try db.copyIn("COPY fleetd_stage_status (\(CopyBinaryEncoder.statusColumns)) FROM STDIN (FORMAT binary)", bytes: copy.bytes)
        try db.exec(Self.upsertStatus)
        copy.removeAll()
        for d in status.allDays { copy.dayRow(d) }
        copy.end()
        try db.copyIn("COPY fleetd_stage_days (\(CopyBinaryEncoder.dayColumns)) FROM STDIN (FORMAT binary)", bytes: copy.bytes)
        try db.exec(Self.upsertDays)
    }
}
