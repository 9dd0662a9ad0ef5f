import FleetCore
import SeededRandom
import Testing

/// Maintenance alerts (`maintenance_alerts`): each level at its crossing with the
/// trigger the ground truth uses, intervals restarted by service records, zero base without one.
@Suite struct MaintenanceBookTests {
    static let day: Int64 = 86_400_000
    static let t0: Int64 = 1_700_000_000_000

    static func plan(_ id: Int64, vehicle: String? = nil, service: String = "oil_change", km: Double? = nil, days: Int? = nil,
                     hours: Double? = nil, noticeKm: Double? = nil, noticeDays: Int? = nil) -> MaintenancePlanRow {
        MaintenancePlanRow(id: id, vehicleID: vehicle, service: service, intervalKm: km, intervalDays: days, intervalEngineHours: hours,
                           noticeKm: noticeKm, noticeDays: noticeDays, createdAtMs: t0)
    }

    static func levels(_ alerts: [MaintenanceAlert]) -> [String] {
        alerts.map { "\($0.level.rawValue):\($0.trigger.rawValue)" }
    }

    @Test func distanceFromZeroWithoutARecord() {
        let book = MaintenanceBook(plans: [Self.plan(1, km: 10_000, noticeKm: 500)], records: [])
        #expect(book.alerts(vehicleID: "v", ts: Self.t0, odometerKm: 9_499.9, engineHours: nil).isEmpty)
        let soon = book.alerts(vehicleID: "v", ts: Self.t0, odometerKm: 9_500, engineHours: nil)
        #expect(Self.levels(soon) == ["due_soon:distance"])
        let due = book.alerts(vehicleID: "v", ts: Self.t0 + 5, odometerKm: 10_000, engineHours: nil)
        #expect(Self.levels(due) == ["due_soon:distance", "overdue:distance"])
        let a = due[1]
        #expect(a.vehicleID == "v" && a.service == "oil_change" && a.planID == 1 && a.intervalKey == 0 && a.ts == Self.t0 + 5)
        #expect(a.odometerKm == 10_000 && a.dueOdometerKm == 10_000 && a.dueAtMs == nil && a.dueEngineHours == nil)
        // Without an odometer reading, distance cannot be judged.
        #expect(book.alerts(vehicleID: "v", ts: Self.t0, odometerKm: nil, engineHours: 5).isEmpty)
    }

    @Test func timeFromThePlansCreationWithoutARecord() {
        let book = MaintenanceBook(plans: [Self.plan(2, service: "inspection", days: 180, noticeDays: 14)], records: [])
        let soonAt = Self.t0 + 166 * Self.day
        #expect(book.alerts(vehicleID: "v", ts: soonAt - 1, odometerKm: nil, engineHours: nil).isEmpty)
        #expect(Self.levels(book.alerts(vehicleID: "v", ts: soonAt, odometerKm: nil, engineHours: nil)) == ["due_soon:time"])
        let due = book.alerts(vehicleID: "v", ts: Self.t0 + 180 * Self.day, odometerKm: 3, engineHours: nil)
        #expect(Self.levels(due) == ["due_soon:time", "overdue:time"])
        #expect(due[1].dueAtMs == Self.t0 + 180 * Self.day)
    }

    @Test func engineHoursOnlyMakeAServiceOverdue() {
        let book = MaintenanceBook(plans: [Self.plan(3, hours: 1_000)],
                                   records: [ServiceRecordRow(id: 9, vehicleID: "t", service: "oil_change", performedAtMs: Self.t0,
                                                              odometerKm: 50_000, engineHours: 500)])
        #expect(book.alerts(vehicleID: "t", ts: Self.t0, odometerKm: 90_000, engineHours: 1_499.9).isEmpty)
        let due = book.alerts(vehicleID: "t", ts: Self.t0, odometerKm: 90_000, engineHours: 1_500)
        #expect(Self.levels(due) == ["overdue:engine_hours"])
        #expect(due.first?.dueEngineHours == 1_500 && due.first?.intervalKey == 9)
        // Another vehicle without a record starts from zero hours.
        #expect(Self.levels(book.alerts(vehicleID: "u", ts: Self.t0, odometerKm: nil, engineHours: 1_000)) == ["overdue:engine_hours"])
    }

    @Test func distanceWinsOverTimeAndTimeOverEngineHours() {
        let book = MaintenanceBook(plans: [Self.plan(4, km: 60_000, days: 180, hours: 1_000, noticeKm: 2_000, noticeDays: 14)], records: [])
        let all = book.alerts(vehicleID: "v", ts: Self.t0 + 200 * Self.day, odometerKm: 70_000, engineHours: 2_000)
        #expect(Self.levels(all) == ["due_soon:distance", "overdue:distance"])
        let noOdometer = book.alerts(vehicleID: "v", ts: Self.t0 + 200 * Self.day, odometerKm: nil, engineHours: 2_000)
        #expect(Self.levels(noOdometer) == ["due_soon:time", "overdue:time"])
        let hoursOnly = book.alerts(vehicleID: "v", ts: Self.t0, odometerKm: 100, engineHours: 2_000)
        #expect(Self.levels(hoursOnly) == ["overdue:engine_hours"])
    }

    @Test func aNoticeOfZeroOrNullMeansNoDueSoon() {
        let book = MaintenanceBook(plans: [Self.plan(5, km: 1_000, days: 10, noticeKm: 0, noticeDays: nil)], records: [])
        #expect(book.alerts(vehicleID: "v", ts: Self.t0 + 9 * Self.day, odometerKm: 999, engineHours: nil).isEmpty)
        #expect(Self.levels(book.alerts(vehicleID: "v", ts: Self.t0, odometerKm: 1_000, engineHours: nil)) == ["overdue:distance"])
    }

    @Test func theLatestRecordStartsTheInterval() {
        let plans = [Self.plan(6, km: 15_000, days: 365, noticeKm: 1_000, noticeDays: 30)]
        let records = [
            ServiceRecordRow(id: 21, vehicleID: "v", service: "oil_change", performedAtMs: Self.t0 + 100 * Self.day, odometerKm: 40_000, engineHours: nil),
            ServiceRecordRow(id: 20, vehicleID: "v", service: "oil_change", performedAtMs: Self.t0 + 50 * Self.day, odometerKm: 30_000, engineHours: nil),
            ServiceRecordRow(id: 22, vehicleID: "v", service: "tyres", performedAtMs: Self.t0 + 200 * Self.day, odometerKm: 45_000, engineHours: nil),
            ServiceRecordRow(id: 23, vehicleID: "w", service: "oil_change", performedAtMs: Self.t0 + 300 * Self.day, odometerKm: 1, engineHours: nil),
        ]
        let book = MaintenanceBook(plans: plans, records: records)
        let at = Self.t0 + 120 * Self.day
        #expect(book.alerts(vehicleID: "v", ts: at, odometerKm: 53_999, engineHours: nil).isEmpty)
        let soon = book.alerts(vehicleID: "v", ts: at, odometerKm: 54_000, engineHours: nil)
        #expect(Self.levels(soon) == ["due_soon:distance"])
        #expect(soon.first?.intervalKey == 21 && soon.first?.dueOdometerKm == 55_000)
        #expect(soon.first?.dueAtMs == Self.t0 + 465 * Self.day)
        let late = book.alerts(vehicleID: "v", ts: Self.t0 + 465 * Self.day, odometerKm: 41_000, engineHours: nil)
        #expect(Self.levels(late) == ["due_soon:time", "overdue:time"])
        // A new record: a new interval, so the same level is a new alert.
        let after = MaintenanceBook(plans: plans, records: records + [
            ServiceRecordRow(id: 30, vehicleID: "v", service: "oil_change", performedAtMs: Self.t0 + 460 * Self.day, odometerKm: 54_500, engineHours: nil),
        ])
        #expect(after.alerts(vehicleID: "v", ts: Self.t0 + 465 * Self.day, odometerKm: 55_000, engineHours: nil).isEmpty)
        let next = after.alerts(vehicleID: "v", ts: Self.t0 + 466 * Self.day, odometerKm: 70_000, engineHours: nil)
        #expect(next.map(\.intervalKey) == [30, 30])
        #expect(Set(next.map(\.key)).isDisjoint(with: Set(late.map(\.key))))
    }

    @Test func aRecordWithoutAnOdometerSkipsDistance() {
        let book = MaintenanceBook(plans: [Self.plan(7, km: 10_000, days: 100, noticeKm: 500, noticeDays: 10)],
                                   records: [ServiceRecordRow(id: 1, vehicleID: "v", service: "oil_change", performedAtMs: Self.t0 + Self.day,
                                                              odometerKm: nil, engineHours: nil)])
        #expect(book.alerts(vehicleID: "v", ts: Self.t0 + 2 * Self.day, odometerKm: 1_000_000, engineHours: nil).isEmpty)
        let due = book.alerts(vehicleID: "v", ts: Self.t0 + 101 * Self.day, odometerKm: 1_000_000, engineHours: nil)
        #expect(Self.levels(due) == ["due_soon:time", "overdue:time"])
        #expect(due.first?.dueOdometerKm == nil)
    }

    @Test func plansApplyToTheirVehicleOrToEvery() {
        let book = MaintenanceBook(plans: [Self.plan(8, vehicle: "a", km: 100), Self.plan(9, service: "inspection", km: 200)], records: [])
        #expect(book.alerts(vehicleID: "a", ts: Self.t0, odometerKm: 250, engineHours: nil).map(\.planID) == [8, 9])
        #expect(book.alerts(vehicleID: "b", ts: Self.t0, odometerKm: 250, engineHours: nil).map(\.planID) == [9])
        #expect(book.alerts(vehicleID: "b", ts: Self.t0, odometerKm: 150, engineHours: nil).isEmpty)
        #expect(MaintenanceBook(plans: [], records: []).alerts(vehicleID: "a", ts: .max, odometerKm: 1e9, engineHours: 1e9).isEmpty)
    }

    @Test func theKeyIsVehiclePlanLevelAndInterval() {
        let a = MaintenanceAlert(vehicleID: "v", service: "s", planID: 1, trigger: .distance, level: .overdue, ts: 1, odometerKm: 5,
                                 dueOdometerKm: 5, dueAtMs: nil, dueEngineHours: nil, intervalKey: 3)
        var b = a
        b.ts = 99
        b.trigger = .time
        #expect(a.key == b.key)
        b.level = .dueSoon
        #expect(a.key != b.key)
        #expect(MaintenanceAlert.Trigger.engineHours.rawValue == "engine_hours" && MaintenanceAlert.Level.dueSoon.rawValue == "due_soon")
    }

    /// Random plans, records and monotone counter streams: raising each key once, every level is
    /// raised exactly at the first reading that crosses one of its thresholds, with the trigger
    /// that precedence gives, and never before.
    @Test(arguments: 0..<10)
    func eachLevelAtItsFirstCrossing(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var plans: [MaintenancePlanRow] = []
        for id in 1...6 {
            let km: Double? = rng.chance(0.7) ? rng.uniform(1_000, 30_000) : nil
            let days: Int? = rng.chance(0.5) ? rng.int(5, 60) : nil
            let hours: Double? = rng.chance(0.4) ? rng.uniform(50, 500) : nil
            plans.append(MaintenancePlanRow(
                id: Int64(id), vehicleID: rng.chance(0.5) ? nil : "v\(rng.int(0, 2))", service: "s\(rng.int(0, 3))",
                intervalKm: km, intervalDays: days, intervalEngineHours: hours,
                noticeKm: km.flatMap { k in rng.chance(0.7) ? k * rng.uniform(0, 0.2) : nil },
                noticeDays: days.flatMap { d in rng.chance(0.7) ? rng.int(0, d / 2) : nil },
                createdAtMs: Self.t0 - Int64(rng.int(0, 30)) * Self.day))
        }
        var records: [ServiceRecordRow] = []
        for id in 1...8 {
            records.append(ServiceRecordRow(
                id: Int64(100 + id), vehicleID: "v\(rng.int(0, 3))", service: "s\(rng.int(0, 3))",
                performedAtMs: Self.t0 - Int64(rng.int(0, 40)) * Self.day,
                odometerKm: rng.chance(0.8) ? rng.uniform(0, 20_000) : nil, engineHours: rng.chance(0.8) ? rng.uniform(0, 300) : nil))
        }
        let book = MaintenanceBook(plans: plans, records: records)
        for vehicle in ["v0", "v1", "v2", "v3", "v4"] {
            var raised: [MaintenanceAlert.Key: MaintenanceAlert] = [:]
            var ts = Self.t0, km = rng.uniform(0, 5_000), hours = rng.uniform(0, 100)
            var previous: (ts: Int64, km: Double, hours: Double)?
            for _ in 0..<3_000 {
                ts += Int64(rng.uniform(0, 0.05) * Double(Self.day))
                km += rng.uniform(0, 30)
                hours += rng.uniform(0, 0.5)
                for a in book.alerts(vehicleID: vehicle, ts: ts, odometerKm: km, engineHours: hours) where raised[a.key] == nil {
                    raised[a.key] = a
                    let d = Self.expected(plans.first { $0.id == a.planID }!, records, vehicle)
                    #expect(a.intervalKey == d.key)
                    #expect(d.trigger(a.level, ts, km, hours) == a.trigger)
                    if let p = previous { #expect(d.trigger(a.level, p.ts, p.km, p.hours) == nil) }
                }
                previous = (ts, km, hours)
            }
            // And every level crossed by the end was raised.
            for p in plans where p.vehicleID == nil || p.vehicleID == vehicle {
                let d = Self.expected(p, records, vehicle)
                for level in [MaintenanceAlert.Level.dueSoon, .overdue] where d.trigger(level, ts, km, hours) != nil {
                    #expect(raised[MaintenanceAlert.Key(vehicleID: vehicle, planID: p.id, level: level, intervalKey: d.key)] != nil)
                }
            }
        }
    }

    /// The thresholds as README states them, written out independently of the book.
    struct Thresholds {
        var key: Int64
        var soonKm: Double?, dueKm: Double?, soonMs: Int64?, dueMs: Int64?, dueHours: Double?

        func trigger(_ level: MaintenanceAlert.Level, _ ts: Int64, _ km: Double, _ hours: Double) -> MaintenanceAlert.Trigger? {
            switch level {
            case .dueSoon:
                if let s = soonKm, km >= s { return .distance }
                if let s = soonMs, ts >= s { return .time }
            case .overdue:
                if let s = dueKm, km >= s { return .distance }
                if let s = dueMs, ts >= s { return .time }
                if let s = dueHours, hours >= s { return .engineHours }
            }
            return nil
        }
    }

    static func expected(_ p: MaintenancePlanRow, _ records: [ServiceRecordRow], _ vehicle: String) -> Thresholds {
        let r = records.filter { $0.vehicleID == vehicle && $0.service == p.service }.max { ($0.performedAtMs, $0.id) < ($1.performedAtMs, $1.id) }
        var t = Thresholds(key: r?.id ?? 0)
        let baseKm: Double? = r == nil ? 0 : r!.odometerKm
        let baseHours: Double? = r == nil ? 0 : r!.engineHours
        let baseMs = r?.performedAtMs ?? p.createdAtMs
        if let i = p.intervalKm, let b = baseKm {
            t.dueKm = b + i
            if let n = p.noticeKm, n > 0 { t.soonKm = b + i - n }
        }
        if let d = p.intervalDays {
            t.dueMs = baseMs + Int64(d) * day
            if let n = p.noticeDays, n > 0 { t.soonMs = baseMs + Int64(d - n) * day }
        }
        if let h = p.intervalEngineHours, let b = baseHours { t.dueHours = b + h }
        return t
    }
}
