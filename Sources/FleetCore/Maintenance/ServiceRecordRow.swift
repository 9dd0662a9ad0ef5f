/// One `service_records` row (README, Reference): a service done, which starts a new plan interval.
public struct ServiceRecordRow: Sendable, Equatable, Codable {
    public var id: Int64
    public var vehicleID: String
    public var service: String
    public var performedAtMs: Int64
    /// nil: the distance (or engine-hour) interval has no start, so that trigger is skipped.
    public var odometerKm: Double?
    public var engineHours: Double?

    public init(id: Int64, vehicleID: String, service: String, performedAtMs: Int64, odometerKm: Double?, engineHours: Double?) {
        self.id = id
        self.vehicleID = vehicleID
        self.service = service
        self.performedAtMs = performedAtMs
        self.odometerKm = odometerKm
        self.engineHours = engineHours
    }
}
