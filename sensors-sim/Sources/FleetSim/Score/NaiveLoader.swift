import LibPQ

/// Runs the naive baseline over what fleetd stored in `readings`, so it sees exactly the data
/// fleetd's own detectors saw (minus fleetd's reorder window and clock-skew filtering).
public enum NaiveLoader {
    /// Rows per FETCH: bounds memory however many readings the table holds.
    static let fetchRows = 100_000

    public struct Result: Sendable {
        public var detected: [DetectedEvent]
        /// Fuel levels fed to the detectors.
        public var levels: Int
    }

    /// Streams every fuel level of the truth file's vehicles (same span as `DetectedLoader`) in
    /// device-time order through a server-side cursor, one `NaiveFuelDetector` per vehicle.
    public static func load(from conn: PGConnection, truth: TruthFile) throws(PGError) -> Result {
        let ids = PGConnection.arrayLiteral(truth.vehicleIDs)
        let start = (truth.startMs ?? truth.events.map(\.startMs).min() ?? 0) - 3_600_000
        let end = (truth.endMs ?? truth.events.map(\.endMs).max() ?? 0) + 32 * 86_400_000
        try conn.exec("BEGIN READ ONLY")
        do throws(PGError) {
            // fuel_pct only counts when the tank size is known, as in fleetd (README, Reference: payloads).
            try conn.exec("""
                DECLARE naive_levels NO SCROLL CURSOR FOR
                SELECT r.vehicle_id, \(PGConnection.epochMilliseconds("r.ts")),
                       coalesce(r.fuel_l, r.fuel_pct::float8 * v.tank_capacity_l / 100)
                FROM readings r LEFT JOIN vehicles v USING (vehicle_id)
                WHERE r.vehicle_id = ANY($1::text[]) AND r.ts >= $2::timestamptz AND r.ts <= $3::timestamptz
                  AND coalesce(r.fuel_l, r.fuel_pct::float8 * v.tank_capacity_l / 100) IS NOT NULL
                ORDER BY r.vehicle_id, r.ts, r.channel
                """, [ids, RFC3339.format(start), RFC3339.format(end)])
            var out = Result(detected: [], levels: 0)
            var detector: NaiveFuelDetector?
            while true {
                let r = try conn.exec("FETCH \(fetchRows) FROM naive_levels")
                for i in 0..<r.rowCount {
                    guard let vehicle = r.string(i, 0), let ts = r.int(i, 1), let level = r.double(i, 2) else { continue }
                    if detector?.vehicle != vehicle { detector = NaiveFuelDetector(vehicle: vehicle) }
                    if let e = detector!.process(level: level, ts: ts) { out.detected.append(e) }
                    out.levels += 1
                }
                if r.rowCount < fetchRows { break }
            }
            try conn.exec("COMMIT")
            return out
        } catch {
            _ = try? conn.exec("ROLLBACK")
            throw error
        }
    }
}
