/// What one vehicle's readings of one UTC day add up to: the odometer's and the engine hours' range,
/// and the first and last fuel level. Kept per vehicle and day, so distance, fuel used and km/L per
/// day are read from a row each, not from a scan of the day's readings. Merging is by value and
/// time only, so readings delivered twice or late change nothing they should not.
public struct VehicleDay: Equatable, Sendable {
    public struct Key: Hashable, Sendable {
        public var vehicleID: String
        /// Days since 1970-01-01, UTC.
        public var day: Int64

        public init(vehicleID: String, day: Int64) {
            self.vehicleID = vehicleID
            self.day = day
        }
    }

    public var key: Key
    /// Device times of the day's first and last readings.
    public var first: Int64
    public var last: Int64
    public var odometerKm: ClosedRange<Double>?
    public var engineHours: ClosedRange<Double>?
    public var firstFuel: Stamped<FuelLevel>?
    public var lastFuel: Stamped<FuelLevel>?

    public init(_ r: Reading) {
        key = Key(vehicleID: r.vehicleID, day: Timestamp.day(ms: r.ts))
        first = r.ts
        last = r.ts
        odometerKm = r.odometerKm.map { $0...$0 }
        engineHours = r.engineHours.map { $0...$0 }
        let fuel = FuelLevel(r).map { Stamped(ts: r.ts, value: $0) }
        firstFuel = fuel
        lastFuel = fuel
    }

    /// Takes in one reading of the same vehicle and day: `merge(VehicleDay(r))` without building one.
    public mutating func add(_ r: Reading) {
        first = min(first, r.ts)
        last = max(last, r.ts)
        if let v = r.odometerKm { odometerKm = Self.span(odometerKm, v...v) }
        if let v = r.engineHours { engineHours = Self.span(engineHours, v...v) }
        if let f = FuelLevel(r) {
            if firstFuel.map({ r.ts < $0.ts }) ?? true { firstFuel = Stamped(ts: r.ts, value: f) }
            if lastFuel.map({ r.ts >= $0.ts }) ?? true { lastFuel = Stamped(ts: r.ts, value: f) }
        }
    }

    /// Takes in `other` (same vehicle and day).
    public mutating func merge(_ other: VehicleDay) {
        first = min(first, other.first)
        last = max(last, other.last)
        odometerKm = Self.span(odometerKm, other.odometerKm)
        engineHours = Self.span(engineHours, other.engineHours)
        firstFuel = .earlier(firstFuel, other.firstFuel)
        lastFuel = .later(lastFuel, other.lastFuel)
    }

    private static func span(_ a: ClosedRange<Double>?, _ b: ClosedRange<Double>?) -> ClosedRange<Double>? {
        guard let a else { return b }
        guard let b else { return a }
        return min(a.lowerBound, b.lowerBound)...max(a.upperBound, b.upperBound)
    }
}
