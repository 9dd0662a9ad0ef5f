/// Drains while driving, judged stop to stop: slosh makes levels taken on the road useless, but the
/// settled level where a trip began and where it ended are good. Fuel lost between them beyond the most
/// a vehicle can burn over that distance and time is a leak or a theft on the road.
public struct TripLossCheck: Sendable, Equatable, Codable {
    var startLevel: Double?
    var startTs: Int64 = 0
    var startKm = 0.0

    public init() {}

    /// The vehicle leaves a stop whose level was settled.
    public mutating func tripBegins(level: Double, ts: Int64, km: Double) {
        startLevel = level
        startTs = ts
        startKm = km
    }

    /// Forget the trip: its start level is unknown or no longer comparable (gap, refuel, frozen probe).
    public mutating func cancel() { startLevel = nil }

    /// The next stop's level is settled: judge the trip once.
    public mutating func tripEnds(level: Double, ts: Int64, km: Double, _ t: FuelThresholds) -> LevelStep? {
        guard let before = startLevel else { return nil }
        startLevel = nil
        let hours = Double(max(ts - startTs, 0)) / 3_600_000
        let most = t.maxBurnPerKmL * max(km - startKm, 0) + t.idleBurnLph * hours
        let excess = before - level - most
        guard excess >= t.movingDrainMinL else { return nil }
        // Volume net of the most the trip could have burnt: a lower bound of what was taken.
        return LevelStep(up: false, startedAt: startTs, endedAt: ts, levelBefore: before, levelAfter: level,
                         volume: excess, moving: true)
    }
}
