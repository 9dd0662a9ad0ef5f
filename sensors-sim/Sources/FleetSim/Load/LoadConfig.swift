import Mosquitto

/// Load mode settings. A run always ends: by count, by duration, or (neither given) after 10 s.
public struct LoadConfig: Sendable {
    /// Where to publish (each connection's client id is made from `clientIDPrefix`).
    public var broker = MQTTSettings(clientID: "fleet-sim")
    public var vehicles = 1000
    /// Target readings per second over all connections; nil = as fast as possible.
    public var rate: Double?
    public var durationSeconds: Double?
    public var count: Int?
    public var qos = 1
    /// Readings per message: 1, or more to publish store-and-forward arrays.
    public var batch = 1
    public var connections = 1
    public var maxInflight = 1000
    /// Fraction of vehicles whose units publish separate `fuel`/`odometer`/`gps` sensors.
    public var splitFraction = 0.3
    public var clientIDPrefix = "fleet-sim-load"
    /// Device time of the first reading, ms; per vehicle each reading is 1 s later.
    public var firstTsMs: Int64 = 0

    public init() {}

    /// The hard stop in seconds, whatever else is set.
    public var effectiveDuration: Double {
        if let d = durationSeconds { return d }
        return count == nil ? 10 : 24 * 3600
    }
}
