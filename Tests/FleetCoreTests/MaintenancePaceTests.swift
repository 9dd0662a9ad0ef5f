import FleetCore
import Testing

/// Maintenance alerts through the whole detection stage: the same readings fed live, or arriving
/// hours late as one backlog that the reorder window releases at once, raise the same alerts at the
/// reading that crossed each mark. (Alerts used to be judged once per release, at its newest
/// reading: a backlog stamped them hours late, and a restart that cut the release elsewhere moved them.)
@Suite struct MaintenancePaceTests {
    static let t0: Int64 = 1_767_225_600_000

    /// Driving at 72 km/h, one reading every 10 s (0.2 km), for `count` readings.
    static func drive(_ count: Int) -> [Reading] {
        (0..<count).map { i in
            Reading(vehicleID: "m1", channel: .telemetry, ts: t0 + Int64(i) * 10_000, odometerKm: 9_000 + Double(i) * 0.2,
                    speedKmh: 72, ignition: true, engineHours: 500 + Double(i) / 360)
        }
    }

    static func alerts(_ readings: [Reading], arrival: (Reading) -> Int64) -> [MaintenanceAlert] {
        var fleet = FleetDetection(windowMs: 10_000)
        let plan = MaintenancePlanRow(id: 1, vehicleID: nil, service: "oil_change", intervalKm: 10_000, intervalDays: nil,
                                      intervalEngineHours: nil, noticeKm: 500, noticeDays: nil, createdAtMs: t0)
        fleet.setMaintenance(MaintenanceBook(plans: [plan], records: []), raised: [])
        var events: [DetectionEvent] = []
        for r in readings { _ = fleet.ingest(r, arrivalMs: arrival(r), into: &events) }
        fleet.tick(nowMs: arrival(readings.last!) + 60_000, into: &events)
        return events.compactMap { if case .maintenance(let m) = $0 { m } else { nil } }
    }

    @Test func aBacklogRaisesAlertsWhereTheyWouldLive() throws {
        let readings = Self.drive(6_000)  // 9,000 → 10,200 km in 16.7 h
        let live = Self.alerts(readings) { $0.ts }
        let backlog = Self.alerts(readings) { _ in readings.last!.ts + 3_600_000 }
        #expect(live.map(\.level) == [.dueSoon, .overdue])
        #expect(backlog == live)
        // Each at the first reading past its mark: 9,500 km (reading 2,500) and 10,000 km (reading 5,000).
        let soon = try #require(live.first), due = try #require(live.last)
        #expect(soon.ts == readings[2_500].ts && due.ts == readings[5_000].ts, "\(live.map(\.ts))")
    }
}
