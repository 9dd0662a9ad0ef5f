import FleetCore

/// One thing that really happened in the simulation, written as a JSON Lines record.
///
/// Times are the true (not the device's) times, Unix epoch ms internally and RFC 3339 UTC
/// with milliseconds in the file. Volumes are litres; distances km.
public struct TruthEvent: Sendable, Equatable {
    public var kind: TruthKind
    public var vehicle: String
    public var startMs: Int64
    public var endMs: Int64
    /// Litres moved, for `refuel` and `drain`.
    public var volumeL: Double?
    public var levelBeforeL: Double?
    public var levelAfterL: Double?
    /// For `drain`: siphoning while parked (false) or a leak/theft while driving (true).
    public var moving: Bool?
    /// For `drain`: the volume as a share of the tank (bars are set by it).
    public var tankShare: Double?
    /// For `maintenance`.
    public var service: String?
    public var trigger: MaintenanceAlert.Trigger?
    public var level: MaintenanceAlert.Level?
    /// For `clock_skew`: how far ahead the device clock ran, ms.
    public var skewMs: Int64?
    /// For odometer faults: published value before and after the step, km.
    public var fromKm: Double?
    public var toKm: Double?
    /// Free-form cause, e.g. `ignition_off` or `power_dip` for `fuel_dropout`.
    public var cause: String?

    public init(kind: TruthKind, vehicle: String, startMs: Int64, endMs: Int64) {
        self.kind = kind
        self.vehicle = vehicle
        self.startMs = startMs
        self.endMs = endMs
    }
}

/// Truth kinds. Anomaly kinds use the names of fleetd's `anomalies.kind`.
public enum TruthKind: String, Sendable, CaseIterable, Codable {
    case refuel, drain, maintenance
    case fuelDropout = "fuel_dropout"
    case fuelSensorStuck = "fuel_sensor_stuck"
    case fuelOutOfRange = "fuel_out_of_range"
    case odometerRollback = "odometer_rollback"
    case odometerJump = "odometer_jump"
    case gpsJump = "gps_jump"
    case gpsInvalid = "gps_invalid"
    case clockSkew = "clock_skew"
    /// Not a detection target: a store-and-forward outage, recorded for latency and ordering checks.
    case offline

    /// The kinds fleetd reports as `anomalies` rows.
    public var isAnomaly: Bool {
        switch self {
        case .refuel, .drain, .maintenance, .offline: false
        default: true
        }
    }
}
