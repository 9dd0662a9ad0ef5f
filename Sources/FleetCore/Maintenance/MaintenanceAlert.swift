/// A plan's level falling due (`maintenance_alerts`, README Reference): raised once per interval and level.
public struct MaintenanceAlert: Sendable, Equatable, Codable {
    public enum Trigger: String, Sendable, Codable {
        case distance
        case time
        case engineHours = "engine_hours"
    }

    public enum Level: String, Sendable, Codable, CaseIterable {
        case dueSoon = "due_soon"
        case overdue
    }

    /// What makes an alert the same one: a plan's level within one interval.
    public struct Key: Hashable, Sendable, Codable {
        public var vehicleID: String
        public var planID: Int64
        public var level: Level
        public var intervalKey: Int64

        public init(vehicleID: String, planID: Int64, level: Level, intervalKey: Int64) {
            self.vehicleID = vehicleID
            self.planID = planID
            self.level = level
            self.intervalKey = intervalKey
        }
    }

    public var vehicleID: String
    public var service: String
    public var planID: Int64
    public var trigger: Trigger
    public var level: Level
    /// Device time of the reading that crossed.
    public var ts: Int64
    public var odometerKm: Double?
    /// When the service is due (the overdue point) on each trigger the plan has.
    public var dueOdometerKm: Double?
    public var dueAtMs: Int64?
    public var dueEngineHours: Double?
    /// The service record that started the interval; 0 before the first one.
    public var intervalKey: Int64

    public init(vehicleID: String, service: String, planID: Int64, trigger: Trigger, level: Level, ts: Int64,
                odometerKm: Double?, dueOdometerKm: Double?, dueAtMs: Int64?, dueEngineHours: Double?, intervalKey: Int64) {
        self.vehicleID = vehicleID
        self.service = service
        self.planID = planID
        self.trigger = trigger
        self.level = level
        self.ts = ts
        self.odometerKm = odometerKm
        self.dueOdometerKm = dueOdometerKm
        self.dueAtMs = dueAtMs
        self.dueEngineHours = dueEngineHours
        self.intervalKey = intervalKey
    }

    public var key: Key { Key(vehicleID: vehicleID, planID: planID, level: level, intervalKey: intervalKey) }
}
