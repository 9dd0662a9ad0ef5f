/// One plan's thresholds for one vehicle's current interval, resolved once so that checking a
/// reading is a handful of comparisons.
struct MaintenanceDue: Sendable, Equatable {
    static let dayMs: Int64 = 86_400_000

    var planID: Int64
    var service: String
    var intervalKey: Int64
    var soonKm: Double?, dueKm: Double?
    var soonMs: Int64?, dueMs: Int64?
    var dueEngineHours: Double?

    /// `record` is the vehicle's latest service of the plan's kind; without one the interval
    /// starts from zero counters at the plan's creation.
    init(plan: MaintenancePlanRow, record: ServiceRecordRow?) {
        planID = plan.id
        service = plan.service
        intervalKey = record?.id ?? 0
        let baseKm = record == nil ? 0 : record?.odometerKm
        let baseHours = record == nil ? 0 : record?.engineHours
        let baseMs = record?.performedAtMs ?? plan.createdAtMs
        if let i = plan.intervalKm, let b = baseKm {
            dueKm = b + i
            // A notice of 0 would make due_soon coincide with overdue: no notice at all.
            if let n = plan.noticeKm, n > 0 { soonKm = b + i - n }
        }
        if let d = plan.intervalDays {
            let due = baseMs + Int64(d) * Self.dayMs
            dueMs = due
            if let n = plan.noticeDays, n > 0 { soonMs = due - Int64(n) * Self.dayMs }
        }
        // maintenance_plans has no engine-hour notice: engine hours only make a service overdue.
        if let h = plan.intervalEngineHours, let b = baseHours { dueEngineHours = b + h }
    }

    /// Distance first, then time: the precedence the ground truth uses.
    func soonTrigger(ts: Int64, odometerKm: Double?) -> MaintenanceAlert.Trigger? {
        if let s = soonKm, let km = odometerKm, km >= s { return .distance }
        if let s = soonMs, ts >= s { return .time }
        return nil
    }

    func overdueTrigger(ts: Int64, odometerKm: Double?, engineHours: Double?) -> MaintenanceAlert.Trigger? {
        if let s = dueKm, let km = odometerKm, km >= s { return .distance }
        if let s = dueMs, ts >= s { return .time }
        if let s = dueEngineHours, let h = engineHours, h >= s { return .engineHours }
        return nil
    }

    func alert(_ vehicleID: String, _ trigger: MaintenanceAlert.Trigger, _ level: MaintenanceAlert.Level, ts: Int64,
               odometerKm: Double?) -> MaintenanceAlert {
        MaintenanceAlert(vehicleID: vehicleID, service: service, planID: planID, trigger: trigger, level: level, ts: ts,
                         odometerKm: odometerKm, dueOdometerKm: dueKm, dueAtMs: dueMs, dueEngineHours: dueEngineHours,
                         intervalKey: intervalKey)
    }
}
