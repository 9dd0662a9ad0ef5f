import FleetCore

/// One event fleetd wrote (README, Reference: tables), reduced to what scoring needs. Times are epoch ms.
public struct DetectedEvent: Sendable, Equatable {
    /// `refuel`/`drain` for fuel transactions, the anomaly kind for anomalies, `maintenance` for alerts.
    public var kind: String
    public var vehicle: String
    public var startMs: Int64
    public var endMs: Int64
    public var volumeL: Double?
    public var service: String?
    public var trigger: MaintenanceAlert.Trigger?
    public var level: MaintenanceAlert.Level?

    public init(kind: String, vehicle: String, startMs: Int64, endMs: Int64? = nil, volumeL: Double? = nil,
                service: String? = nil, trigger: MaintenanceAlert.Trigger? = nil, level: MaintenanceAlert.Level? = nil) {
        self.kind = kind
        self.vehicle = vehicle
        self.startMs = startMs
        self.endMs = endMs ?? startMs
        self.volumeL = volumeL
        self.service = service
        self.trigger = trigger
        self.level = level
    }
}
