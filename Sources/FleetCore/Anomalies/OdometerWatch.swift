/// `odometer_rollback` and `odometer_jump` from the odometer series, one flag per incident.
public struct OdometerWatch: Sendable, Equatable, Codable {
    /// Backward steps smaller than this are sensor rounding, not a rollback.
    public static let rollbackToleranceKm = 0.5
    /// Advances up to this are never a jump (a reading gap on a highway).
    public static let jumpFloorKm = 5.0
    /// Faster than any road vehicle over the interval.
    public static let maxPlausibleKmh = 250.0

    var lastTs: Int64?
    var lastKm: Double?

    public init() {}

    public mutating func feed(_ r: Reading) -> [Anomaly] {
        guard let km = r.odometerKm else { return [] }
        defer {
            lastTs = r.ts
            lastKm = km
        }
        guard let previous = lastKm, let previousTs = lastTs, r.ts > previousTs else { return [] }
        if km < previous - Self.rollbackToleranceKm {
            // The new value becomes the baseline: one flag per rollback or reset.
            return [Anomaly(vehicleID: r.vehicleID, kind: .odometerRollback, ts: r.ts, severity: .warning, value: km, expected: previous,
                            details: ["back_km": .number(previous - km), "channel": .text(r.channel.rawValue)])]
        }
        let hours = Double(r.ts - previousTs) / 3_600_000
        let advance = km - previous
        if advance > Self.jumpFloorKm && advance / hours > Self.maxPlausibleKmh {
            return [Anomaly(vehicleID: r.vehicleID, kind: .odometerJump, ts: r.ts, severity: .warning, value: km,
                            expected: previous + Self.maxPlausibleKmh * hours,
                            details: ["advance_km": .number(advance), "seconds": .number(hours * 3600),
                                      "implied_kmh": .number(advance / hours)])]
        }
        return []
    }
}
