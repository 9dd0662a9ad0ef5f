/// A value with the device time it was measured at, so two views of one vehicle merge by time, not
/// by arrival: a late or repeated reading never replaces a newer one.
public struct Stamped<Value: Equatable & Sendable>: Equatable, Sendable {
    /// Device time, Unix epoch milliseconds.
    public var ts: Int64
    public var value: Value

    public init(ts: Int64, value: Value) {
        self.ts = ts
        self.value = value
    }

    /// The later of the two; on equal times the one merged last.
    static func later(_ a: Stamped?, _ b: Stamped?) -> Stamped? {
        guard let a else { return b }
        guard let b else { return a }
        return b.ts >= a.ts ? b : a
    }

    /// The earlier of the two; on equal times the one merged first.
    static func earlier(_ a: Stamped?, _ b: Stamped?) -> Stamped? {
        guard let a else { return b }
        guard let b else { return a }
        return b.ts < a.ts ? b : a
    }
}

/// A fuel level as the unit reported it: litres, percent of the tank, or both.
public struct FuelLevel: Equatable, Sendable {
    public var litres: Double?
    public var percent: Double?

    public init(litres: Double?, percent: Double?) {
        self.litres = litres
        self.percent = percent
    }

    /// nil when the reading has no level, or only zeros: a probe that reads exactly 0 has dropped out
    /// (many do with the ignition off), and a tank's last litre still reads above 0, so a zero would
    /// only hide the level the vehicle really has (detection skips such readings too).
    init?(_ r: Reading) {
        guard r.fuelL != nil || r.fuelPct != nil, (r.fuelL ?? 0) != 0 || (r.fuelPct ?? 0) != 0 else { return nil }
        self.init(litres: r.fuelL, percent: r.fuelPct)
    }
}

/// Where a vehicle was: a valid fix (the decoder drops half or impossible pairs), and its heading.
public struct Position: Equatable, Sendable {
    public var lat: Double
    public var lon: Double
    public var headingDeg: Double?

    public init(lat: Double, lon: Double, headingDeg: Double?) {
        self.lat = lat
        self.lon = lon
        self.headingDeg = headingDeg
    }

    init?(_ r: Reading) {
        guard let lat = r.lat, let lon = r.lon else { return nil }
        self.init(lat: lat, lon: lon, headingDeg: r.headingDeg)
    }
}
