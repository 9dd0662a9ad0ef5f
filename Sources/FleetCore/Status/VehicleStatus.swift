/// A vehicle's latest known state, merged across its channels (fuel, odometer and GPS may each come
/// on their own): every part is the latest by device time of the readings that carried it. What a
/// fleet manager asks first ("where is it, how full, is it on"), kept as one row per vehicle.
public struct VehicleStatus: Equatable, Sendable {
    public var vehicleID: String
    /// Device time of the latest reading of any kind.
    public var lastSeen: Int64
    /// When fleetd last received a reading of it (Unix epoch nanoseconds).
    public var lastReceivedNanos: Int64
    public var position: Stamped<Position>?
    public var speedKmh: Stamped<Double>?
    public var fuel: Stamped<FuelLevel>?
    public var odometerKm: Stamped<Double>?
    public var ignition: Stamped<Bool>?
    public var engineHours: Stamped<Double>?

    public init(_ r: Reading, receivedAtNanos: Int64) {
        vehicleID = r.vehicleID
        lastSeen = r.ts
        lastReceivedNanos = receivedAtNanos
        position = Position(r).map { Stamped(ts: r.ts, value: $0) }
        speedKmh = r.speedKmh.map { Stamped(ts: r.ts, value: $0) }
        fuel = FuelLevel(r).map { Stamped(ts: r.ts, value: $0) }
        odometerKm = r.odometerKm.map { Stamped(ts: r.ts, value: $0) }
        ignition = r.ignition.map { Stamped(ts: r.ts, value: $0) }
        engineHours = r.engineHours.map { Stamped(ts: r.ts, value: $0) }
    }

    /// Takes in one reading of the same vehicle: `merge(VehicleStatus(r))` without building one.
    public mutating func add(_ r: Reading, receivedAtNanos: Int64) {
        lastSeen = max(lastSeen, r.ts)
        lastReceivedNanos = max(lastReceivedNanos, receivedAtNanos)
        func newer<T>(_ s: Stamped<T>?) -> Bool { s.map { r.ts >= $0.ts } ?? true }
        if let p = Position(r), newer(position) { position = Stamped(ts: r.ts, value: p) }
        if let v = r.speedKmh, newer(speedKmh) { speedKmh = Stamped(ts: r.ts, value: v) }
        if let f = FuelLevel(r), newer(fuel) { fuel = Stamped(ts: r.ts, value: f) }
        if let v = r.odometerKm, newer(odometerKm) { odometerKm = Stamped(ts: r.ts, value: v) }
        if let v = r.ignition, newer(ignition) { ignition = Stamped(ts: r.ts, value: v) }
        if let v = r.engineHours, newer(engineHours) { engineHours = Stamped(ts: r.ts, value: v) }
    }

    /// Takes in what `other` (of the same vehicle) knows later than this.
    public mutating func merge(_ other: VehicleStatus) {
        lastSeen = max(lastSeen, other.lastSeen)
        lastReceivedNanos = max(lastReceivedNanos, other.lastReceivedNanos)
        position = .later(position, other.position)
        speedKmh = .later(speedKmh, other.speedKmh)
        fuel = .later(fuel, other.fuel)
        odometerKm = .later(odometerKm, other.odometerKm)
        ignition = .later(ignition, other.ignition)
        engineHours = .later(engineHours, other.engineHours)
    }
}
