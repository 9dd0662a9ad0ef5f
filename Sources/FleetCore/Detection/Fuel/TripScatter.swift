/// How far this vehicle's readings usually scatter over the last minutes of a trip (slosh, rough
/// roads, grades), learned from trips whose tail had enough readings to say.
///
/// A trip's level resting on two or three readings (a brief halt just before emptied the trip, a
/// unit that reports seldom) shows almost nothing of its scatter: two readings of a truck sloshing
/// ±10 L can sit 1 L apart. Its doubt is then what this vehicle's trip levels usually carry.
public struct TripScatter: Sendable, Equatable, Codable {
    var typical = 0.0
    var samples = 0

    public init() {}

    /// Fewer readings than this say too little of their own scatter (a median absolute deviation of
    /// four readings misses it by half now and then).
    static let minReadings = 5
    /// Follows a vehicle's roads over a day or two of stops; one rough trip moves it little.
    static let window = 16

    /// A trip's tail as the vehicle stopped: `spread` of `readings` readings.
    public mutating func observe(spread: Double, readings: Int) {
        guard readings >= Self.minReadings else { return }
        samples = min(samples + 1, Self.window)
        typical += (spread - typical) / Double(samples)
    }

    /// The spread to credit a trip level resting on `readings` readings with `spread` of their own:
    /// their own when they are enough to say (or one reading, whose doubt is the whole slosh
    /// allowance), else at least what this vehicle's trips usually scatter.
    public func doubt(spread: Double, readings: Int) -> Double {
        guard readings > 1, readings < Self.minReadings, samples >= 3 else { return spread }
        return max(spread, typical)
    }
}
