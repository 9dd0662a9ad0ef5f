/// Flags a fuel level that stays bit-for-bit identical while the vehicle drives a long way.
///
/// Noise and consumption make a working probe's reading change all the time on the road; an exact
/// repeat over many kilometres is a frozen sensor. One flag per frozen run.
public struct StuckSensorWatch: Sendable, Equatable, Codable {
    var value: Double?
    var sinceTs: Int64 = 0
    var sinceKm = 0.0
    var repeats = 0
    var movingSinceTs: Int64?
    var flagged = false
    /// The reading that just ended a flagged frozen run: the levels before it were not measurements.
    public private(set) var released = false
    /// Inside a run already flagged as stuck.
    public var isStuck: Bool { flagged }

    public init() {}

    /// Forget the current run: the next reading starts a new one.
    public mutating func restart() {
        value = nil
        repeats = 0
        movingSinceTs = nil
        released = false
    }

    /// `raw` is the value as the unit reported it (litres or %), so quantisation cannot hide a repeat.
    public mutating func observe(raw: Double, ts: Int64, distanceKm: Double, litres: Double,
                                 _ t: FuelThresholds, vehicleID: String) -> FuelAnomaly? {
        guard raw == value else {
            released = flagged
            value = raw
            sinceTs = ts
            sinceKm = distanceKm
            repeats = 1
            movingSinceTs = nil
            flagged = false
            return nil
        }
        released = false
        repeats += 1
        let driven = distanceKm - sinceKm
        if driven > 0 && movingSinceTs == nil { movingSinceTs = ts }
        guard !flagged, repeats >= t.stuckMinReadings, driven >= t.stuckMinDistanceKm else { return nil }
        flagged = true
        // The incident is the frozen level on the road: it starts when driving started within the run
        // (a parked tank legitimately reads the same for hours).
        return FuelAnomaly(kind: .fuelSensorStuck, vehicleID: vehicleID, ts: movingSinceTs ?? sinceTs, severity: "warning",
                           value: litres, expected: nil, durationMs: ts - sinceTs, readings: repeats, distanceKm: driven)
    }
}
