/// Tracks a level that fell to about zero from well above it, and flags it once it comes back.
///
/// Readings inside the dropout are not levels: the detector skips them and compares the levels on
/// both sides, so a refuel or theft hidden behind the zeros is still measured.
public struct DropoutWatch: Sendable, Equatable, Codable {
    public private(set) var active = false
    var startTs: Int64 = 0
    var lowest = 0.0
    var levelBefore = 0.0
    var count = 0
    var startedDriving = false

    public init() {}

    /// Returns whether the reading belongs to a dropout (and must not be used as a level), and the flag
    /// when this reading ends one.
    /// `noiseL` is the probe's noise (σ of one reading): parked, a level only that far above zero
    /// could read zero by chance.
    public mutating func observe(level: Double, ts: Int64, lastLevel: Double?, driving: Bool, noiseL: Double, _ t: FuelThresholds,
                                 vehicleID: String) -> (inDropout: Bool, flag: FuelAnomaly?) {
        if active {
            // Back when the probe reads clearly above its dead value: a tank siphoned almost dry behind
            // the zeros still reads a few litres, and that level is the evidence of the theft.
            if level > t.nearZeroL * 2 {
                active = false
                // While driving, or from a tank under a tenth full, a lone zero can be slosh or noise of a
                // low level; a dead probe stays at 0 for a while.
                let doubtful = startedDriving || levelBefore < t.movingDropoutFromL
                guard !doubtful || count >= t.dropoutMinReadingsDriving else { return (false, nil) }
                let flag = FuelAnomaly(kind: .fuelDropout, vehicleID: vehicleID, ts: startTs, severity: "warning",
                                       value: lowest, expected: levelBefore > 0 ? levelBefore : nil, durationMs: ts - startTs, readings: count,
                                       distanceKm: nil)
                return (false, flag)
            }
            count += 1
            lowest = min(lowest, level)
            return (true, nil)
        }
        // With no level seen yet, zeros are a probe that reads 0 (ignition off) until proven otherwise:
        // no tank runs at empty.
        let from = driving ? t.movingDropoutFromL : max(t.dropoutFromL, t.nearZeroL + 3 * noiseL)
        guard level <= t.nearZeroL, lastLevel.map({ $0 >= from }) ?? true else { return (false, nil) }
        active = true
        startedDriving = driving
        startTs = ts
        lowest = level
        levelBefore = lastLevel ?? 0
        count = 1
        return (true, nil)
    }
}
