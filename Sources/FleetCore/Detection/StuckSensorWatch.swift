/// Flags a fuel level that stays bit-for-bit identical while the vehicle drives a long way.
///
/// Noise and consumption make a working probe's reading change all the time on the road; an exact
/// repeat over many kilometres is a frozen sensor. One flag per frozen run.
public struct StuckSensorWatch: Sendable, Equatable {
    var value: Double?
    var sinceTs: Int64 = 0
    var sinceKm = 0.0
    var repeats = 0
    var flagged = false

    public init() {}

    /// `raw` is the value as the unit reported it (litres or %), so quantisation cannot hide a repeat.
    public mutating func observe(raw: Double, ts: Int64, distanceKm: Double, litres: Double,
                                 _ t: FuelThresholds, vehicleID: String) -> FuelAnomaly? {
        guard raw == value else {
            value = raw
            sinceTs = ts
            sinceKm = distanceKm
            repeats = 1
            flagged = false
            return nil
        }
        repeats += 1
        let driven = distanceKm - sinceKm
        guard !flagged, repeats >= t.stuckMinReadings, driven >= t.stuckMinDistanceKm else { return nil }
        flagged = true
        return FuelAnomaly(kind: .fuelSensorStuck, vehicleID: vehicleID, ts: sinceTs, severity: "warning",
                           value: litres, expected: nil, durationMs: ts - sinceTs, readings: repeats, distanceKm: driven)
    }
}

/// Tracks a level that fell to about zero from well above it, and flags it once it comes back.
///
/// Readings inside the dropout are not levels: the detector skips them and compares the levels on
/// both sides, so a refuel or theft hidden behind the zeros is still measured.
public struct DropoutWatch: Sendable, Equatable {
    public private(set) var active = false
    var startTs: Int64 = 0
    var lowest = 0.0
    var levelBefore = 0.0
    var count = 0

    public init() {}

    /// Returns whether the reading belongs to a dropout (and must not be used as a level), and the flag
    /// when this reading ends one.
    public mutating func observe(level: Double, ts: Int64, lastLevel: Double?, _ t: FuelThresholds,
                                 vehicleID: String) -> (inDropout: Bool, flag: FuelAnomaly?) {
        if active {
            // Back when the probe reads a real level again: above the empty band and the dropout threshold.
            if level > max(t.nearZeroL * 2, min(t.dropoutFromL, levelBefore * 0.5)) {
                active = false
                let flag = FuelAnomaly(kind: .fuelDropout, vehicleID: vehicleID, ts: startTs, severity: "warning",
                                       value: lowest, expected: levelBefore, durationMs: ts - startTs, readings: count,
                                       distanceKm: nil)
                return (false, flag)
            }
            count += 1
            lowest = min(lowest, level)
            return (true, nil)
        }
        guard level <= t.nearZeroL, let before = lastLevel, before >= t.dropoutFromL else { return (false, nil) }
        active = true
        startTs = ts
        lowest = level
        levelBefore = before
        count = 1
        return (true, nil)
    }
}
