/// The naive baseline: each level against the previous one with a fixed threshold, the way
/// Traccar's `fuelIncreaseThreshold` / `fuelDropThreshold` work. No smoothing, no window, no motion.
/// One per vehicle; feed it that vehicle's levels in device-time order.
public struct NaiveFuelDetector: Sendable {
    /// Fixed thresholds, litres: a typical configured value (Traccar has none by default).
    public static let increaseL = 5.0
    public static let dropL = 8.0

    public let vehicle: String
    var previous: (ts: Int64, level: Double)?

    public init(vehicle: String) { self.vehicle = vehicle }

    /// A refuel or drain between the previous level and this one, if the step crosses a threshold.
    public mutating func process(level: Double, ts: Int64) -> DetectedEvent? {
        defer { previous = (ts, level) }
        guard let p = previous, ts > p.ts else { return nil }
        let d = level - p.level
        if d >= Self.increaseL { return DetectedEvent(kind: "refuel", vehicle: vehicle, startMs: p.ts, endMs: ts, volumeL: d) }
        if -d >= Self.dropL { return DetectedEvent(kind: "drain", vehicle: vehicle, startMs: p.ts, endMs: ts, volumeL: -d) }
        return nil
    }
}
