/// `clock_skew`: a unit whose device time runs ahead of the time fleetd received the reading.
/// Judged on arrival (device order does not matter), one flag per incident.
public struct ClockWatch: Sendable, Equatable, Codable {
    /// Ahead by more than this is a skewed clock (GPS-synchronised units are within seconds).
    public static let skewMs: Int64 = 5 * 60_000
    /// Back within this, the incident is over.
    public static let recoveredMs: Int64 = 60_000

    var skewed = false
    /// While skewed: the largest lead over receipt seen in the incident, i.e. the clock's offset less
    /// the least transport delay. A unit's clock set wrong is off by a constant, so subtracting this
    /// places every reading at about its true time, a backlog sent during the incident too, and never
    /// after its receipt.
    public private(set) var offsetMs: Int64 = 0

    public init() {}

    /// Whether the reading's device time runs too far ahead of its receipt to be taken at its word.
    public func isAhead(_ r: Reading, arrivalMs: Int64) -> Bool { r.ts - arrivalMs > Self.skewMs }

    public mutating func feed(_ r: Reading, arrivalMs: Int64) -> [Anomaly] {
        let ahead = r.ts - arrivalMs
        if ahead > Self.skewMs {
            guard !skewed else {
                offsetMs = max(offsetMs, ahead)
                return []
            }
            skewed = true
            offsetMs = ahead
            return [Anomaly(vehicleID: r.vehicleID, kind: .clockSkew, ts: r.ts, severity: .warning,
                            value: Double(ahead) / 1000, expected: 0,
                            details: ["ahead_seconds": .number(Double(ahead) / 1000), "received_at_ms": .number(Double(arrivalMs))])]
        }
        if ahead < Self.recoveredMs { skewed = false }
        return []
    }
}
