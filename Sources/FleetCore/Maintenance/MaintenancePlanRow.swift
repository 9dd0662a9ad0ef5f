/// One `maintenance_plans` row (README, Reference), as operators wrote it.
public struct MaintenancePlanRow: Sendable, Equatable, Codable {
    public var id: Int64
    /// nil: the plan applies to every vehicle.
    public var vehicleID: String?
    public var service: String
    public var intervalKm: Double?
    public var intervalDays: Int?
    public var intervalEngineHours: Double?
    public var noticeKm: Double?
    public var noticeDays: Int?
    /// Start of the first interval for a vehicle that has no service record yet.
    public var createdAtMs: Int64

    public init(id: Int64, vehicleID: String?, service: String, intervalKm: Double?, intervalDays: Int?,
                intervalEngineHours: Double?, noticeKm: Double?, noticeDays: Int?, createdAtMs: Int64) {
        self.id = id
        self.vehicleID = vehicleID
        self.service = service
        self.intervalKm = intervalKm
        self.intervalDays = intervalDays
        self.intervalEngineHours = intervalEngineHours
        self.noticeKm = noticeKm
        self.noticeDays = noticeDays
        self.createdAtMs = createdAtMs
    }
}
