/// A flag on one reading or a short run (`anomalies`, README Reference): one per incident.
public struct Anomaly: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case fuelDrain = "fuel_drain"
        case fuelOutOfRange = "fuel_out_of_range"
        case fuelSensorStuck = "fuel_sensor_stuck"
        case fuelDropout = "fuel_dropout"
        case odometerRollback = "odometer_rollback"
        case odometerJump = "odometer_jump"
        case odometerGPSMismatch = "odometer_gps_mismatch"
        case gpsInvalid = "gps_invalid"
        case gpsJump = "gps_jump"
        case consumptionOutlier = "consumption_outlier"
        case clockSkew = "clock_skew"
        /// A fuel card purchase clearly larger than the refuel it paid for.
        case fuelPurchaseShort = "fuel_purchase_short"
        /// A fuel card purchase without a refuel of its vehicle, or made away from it.
        case fuelPurchaseNoRefuel = "fuel_purchase_no_refuel"
    }

    public enum Severity: String, Sendable, Codable {
        case info, warning, critical
    }

    public var vehicleID: String
    public var kind: Kind
    public var ts: Int64
    public var severity: Severity
    public var value: Double?
    public var expected: Double?
    /// Why, for a person: stored as a flat JSON object.
    public var details: [String: DetailValue]

    public init(vehicleID: String, kind: Kind, ts: Int64, severity: Severity, value: Double?, expected: Double?,
                details: [String: DetailValue]) {
        self.vehicleID = vehicleID
        self.kind = kind
        self.ts = ts
        self.severity = severity
        self.value = value
        self.expected = expected
        self.details = details
    }
}

/// A value in an anomaly's `details`.
public enum DetailValue: Sendable, Equatable, Codable {
    case number(Double)
    case text(String)
    case flag(Bool)
}
