import FleetCore

/// Watches one vehicle's true counters against one plan and records when each level falls due.
///
/// A level is due on whichever trigger crosses first, once per interval. Engine hours have no
/// notice column in maintenance_plans, so they only trigger `overdue`.
struct MaintenanceWatch {
    var service: String
    var soonKm: Double?, dueKm: Double?
    var soonMs: Int64?, dueMs: Int64?
    var dueEngineHours: Double?
    var soonRaised = false
    var dueRaised = false

    init(plan: MaintenancePlanRow, record: ServiceRecordRow) {
        service = plan.service
        if let i = plan.intervalKm, let odometerKm = record.odometerKm {
            dueKm = odometerKm + i
            soonKm = plan.noticeKm.map { odometerKm + i - $0 }
        }
        if let d = plan.intervalDays {
            dueMs = record.performedAtMs + Int64(d) * 86_400_000
            soonMs = plan.noticeDays.map { dueMs! - Int64($0) * 86_400_000 }
        }
        if let h = plan.intervalEngineHours, let e = record.engineHours { dueEngineHours = e + h }
    }

    mutating func check(vehicle: String, t: Int64, odometerKm: Double, engineHours: Double, into truth: inout [TruthEvent]) {
        if !soonRaised {
            var trigger: MaintenanceAlert.Trigger?
            if let s = soonKm, odometerKm >= s { trigger = .distance } else if let s = soonMs, t >= s { trigger = .time }
            if let trigger {
                soonRaised = true
                truth.append(event(vehicle, t, trigger, .dueSoon))
            }
        }
        if !dueRaised {
            var trigger: MaintenanceAlert.Trigger?
            if let s = dueKm, odometerKm >= s { trigger = .distance } else if let s = dueMs, t >= s { trigger = .time }
            else if let s = dueEngineHours, engineHours >= s { trigger = .engineHours }
            if let trigger {
                dueRaised = true
                truth.append(event(vehicle, t, trigger, .overdue))
            }
        }
    }

    private func event(_ v: String, _ t: Int64, _ trigger: MaintenanceAlert.Trigger, _ level: MaintenanceAlert.Level) -> TruthEvent {
        var e = TruthEvent(kind: .maintenance, vehicle: v, startMs: t, endMs: t)
        e.service = service
        e.trigger = trigger
        e.level = level
        return e
    }
}
