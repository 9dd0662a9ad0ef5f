/// What the fuel detector reports: `fuel_transactions` and fuel `anomalies` (README, Reference).
///
/// Plain values so the pipeline can write them in the same transaction as the readings that caused them.
public enum FuelEvent: Sendable, Equatable {
    case transaction(FuelTransaction)
    case anomaly(FuelAnomaly)
}

/// A refuel or a drain, judged on settled levels (never on a noisy peak or trough).
public struct FuelTransaction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case refuel, drain }

    public var kind: Kind
    public var vehicleID: String
    /// Device time of the last reading at the level before, and of the last reading still changing.
    public var startedAt: Int64
    public var endedAt: Int64
    /// Litres added (refuel) or lost beyond what idling explains (drain); always > 0.
    public var volumeL: Double
    public var levelBeforeL: Double
    public var levelAfterL: Double
    /// Whether the vehicle was driving when the level moved (only drains can be moving).
    public var moving: Bool
    /// A drain on the road: the burn the road explained, by which consumption model, how sure.
    public var road: RoadDrainEvidence?
    public var odometerKm: Double?
    public var lat: Double?
    public var lon: Double?
    /// Refuels only: since the previous refuel (README, Reference: `fuel_transactions`); nil when there was none or no odometer.
    public var distanceKm: Double?
    public var fuelUsedL: Double?
    public var kmPerL: Double?
}

/// A flag on a short run of readings: one per incident.
public struct FuelAnomaly: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case fuelSensorStuck = "fuel_sensor_stuck"
        case fuelDropout = "fuel_dropout"
    }

    public var kind: Kind
    public var vehicleID: String
    /// Device time the incident began.
    public var ts: Int64
    public var severity: String
    /// The level seen (stuck value, or the lowest dropout reading) and what it should have been near.
    public var value: Double
    public var expected: Double?
    /// Why, for a person: incident length and, for stuck, how far the vehicle drove meanwhile.
    public var durationMs: Int64
    public var readings: Int
    public var distanceKm: Double?
}
