import FleetCore

extension MaintenancePlanRow {
    /// The plans the simulator seeds into `maintenance_plans`, as fleetd reads them back: per-class oil
    /// changes, fleet-wide inspections and tyre rotations, numbered from 1, created at the run's start.
    static func simulated(for specs: [VehicleSpec], createdAtMs: Int64) -> [MaintenancePlanRow] {
        func plan(_ vehicleID: String?, _ service: String, km: Double? = nil, days: Int? = nil, engineHours: Double? = nil,
                  noticeKm: Double? = nil, noticeDays: Int? = nil) -> (String?, String, Double?, Int?, Double?, Double?, Int?) {
            (vehicleID, service, km, days, engineHours, noticeKm, noticeDays)
        }
        var out = [
            plan(nil, "inspection", days: 180, noticeDays: 14),
            plan(nil, "tyre_rotation", km: 10_000, noticeKm: 500),
        ]
        for s in specs {
            switch s.vehicleClass {
            case .car: out.append(plan(s.id, "oil_change", km: 15_000, days: 365, noticeKm: 1_000, noticeDays: 30))
            case .van: out.append(plan(s.id, "oil_change", km: 20_000, days: 365, noticeKm: 1_000, noticeDays: 30))
            case .truck: out.append(plan(s.id, "oil_change", km: 60_000, days: 180, engineHours: 1_000, noticeKm: 2_000, noticeDays: 14))
            }
        }
        return out.enumerated().map { i, p in
            MaintenancePlanRow(id: Int64(i + 1), vehicleID: p.0, service: p.1, intervalKm: p.2, intervalDays: p.3,
                               intervalEngineHours: p.4, noticeKm: p.5, noticeDays: p.6, createdAtMs: createdAtMs)
        }
    }

    func applies(to vehicle: String) -> Bool { vehicleID == nil || vehicleID == vehicle }
}
