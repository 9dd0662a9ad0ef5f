import Testing

@testable import FleetCore

/// The time arithmetic of maintenance plans cannot overflow for any value the range checks let
/// through: the longest interval and notice from the latest and earliest timestamps PostgreSQL holds.
@Suite struct MaintenanceArithmeticTests {
    /// PostgreSQL's timestamptz range, in epoch milliseconds (4713 BC to 294276 AD).
    static let extremes: [Int64] = [-210_866_803_200_000, 0, 9_224_318_015_999_999]

    @Test func theWidestAllowedPlansStayWithinInt64() {
        let days = OperatorValueRanges.intervalDays, notices = OperatorValueRanges.noticeDays
        for base in Self.extremes {
            for interval in [days.lowerBound, days.upperBound] {
                for notice in [notices.lowerBound, notices.upperBound] {
                    let plan = MaintenancePlanRow(id: 1, vehicleID: "v", service: "oil", intervalKm: OperatorValueRanges.distanceKm.upperBound,
                                                  intervalDays: Int(interval), intervalEngineHours: OperatorValueRanges.engineHours.upperBound,
                                                  noticeKm: OperatorValueRanges.distanceKm.upperBound, noticeDays: Int(notice), createdAtMs: base)
                    let record = ServiceRecordRow(id: 2, vehicleID: "v", service: "oil", performedAtMs: base,
                                                  odometerKm: OperatorValueRanges.distanceKm.upperBound, engineHours: OperatorValueRanges.engineHours.upperBound)
                    for r in [nil, record] {
                        let due = MaintenanceDue(plan: plan, record: r)
                        #expect(due.dueMs == base + interval * MaintenanceDue.dayMs)
                        #expect(due.dueKm?.isFinite == true)
                    }
                }
            }
        }
    }
}
