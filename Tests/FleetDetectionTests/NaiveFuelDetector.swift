import FleetCore

/// The baseline of issue 4: each level against the previous one with a fixed threshold, the way
/// Traccar's `fuelIncreaseThreshold` / `fuelDropThreshold` work. No smoothing, no window, no motion.
struct NaiveFuelDetector {
    /// Fixed thresholds, litres: a typical configured value (Traccar has none by default).
    static let increaseL = 5.0
    static let dropL = 8.0
    var previous: (ts: Int64, level: Double)?

    mutating func process(level: Double, ts: Int64) -> (kind: String, start: Int64, end: Int64, volume: Double)? {
        defer { previous = (ts, level) }
        guard let p = previous, ts > p.ts else { return nil }
        let d = level - p.level
        if d >= Self.increaseL { return ("refuel", p.ts, ts, d) }
        if -d >= Self.dropL { return ("drain", p.ts, ts, -d) }
        return nil
    }
}
