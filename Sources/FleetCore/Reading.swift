/// One accepted measurement set from one vehicle at one device time.
///
/// Optional fields are absent when the sensor did not report them or when the value was
/// physically impossible (then an `ImpossibleValue` records what was dropped).
public struct Reading: Sendable, Equatable, Codable {
    public var vehicleID: String
    public var channel: Channel
    /// Device time of measurement, Unix epoch milliseconds.
    public var ts: Int64
    public var seq: Int64?
    public var fuelL: Double?
    public var fuelPct: Double?
    public var odometerKm: Double?
    public var lat: Double?
    public var lon: Double?
    public var speedKmh: Double?
    public var headingDeg: Double?
    public var ignition: Bool?
    public var engineHours: Double?
    /// Which impossible values the decoder dropped from this reading.
    public var flags: ReadingFlags = []

    public init(
        vehicleID: String, channel: Channel, ts: Int64, seq: Int64? = nil,
        fuelL: Double? = nil, fuelPct: Double? = nil, odometerKm: Double? = nil,
        lat: Double? = nil, lon: Double? = nil, speedKmh: Double? = nil,
        headingDeg: Double? = nil, ignition: Bool? = nil, engineHours: Double? = nil
    ) {
        self.vehicleID = vehicleID
        self.channel = channel
        self.ts = ts
        self.seq = seq
        self.fuelL = fuelL
        self.fuelPct = fuelPct
        self.odometerKm = odometerKm
        self.lat = lat
        self.lon = lon
        self.speedKmh = speedKmh
        self.headingDeg = headingDeg
        self.ignition = ignition
        self.engineHours = engineHours
    }

    /// The identity under which a reading is stored once: redeliveries share it.
    public var key: ReadingKey { ReadingKey(vehicleID: vehicleID, channel: channel, ts: ts) }

    /// Whether the reading carries anything besides its time.
    public var hasMeasurement: Bool {
        fuelL != nil || fuelPct != nil || odometerKm != nil || lat != nil || lon != nil
            || speedKmh != nil || headingDeg != nil || ignition != nil || engineHours != nil
    }
}

/// The uniqueness key of the `readings` table.
public struct ReadingKey: Hashable, Sendable, Codable {
    public var vehicleID: String
    public var channel: Channel
    public var ts: Int64
}

/// Impossible values the decoder dropped, kept on the reading so detection sees them in
/// device-time order (one flag per incident, not per reading).
public struct ReadingFlags: OptionSet, Sendable, Hashable, Codable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Coordinates off the globe, alone without their pair, or exactly 0,0.
    public static let invalidFix = ReadingFlags(rawValue: 1 << 0)
    /// A fuel level below zero or above any tank.
    public static let fuelOutOfRange = ReadingFlags(rawValue: 1 << 1)
}
