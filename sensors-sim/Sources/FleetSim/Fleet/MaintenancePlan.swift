/// A maintenance plan as seeded into `maintenance_plans`.
public struct MaintenancePlan: Sendable, Equatable {
    /// nil = every vehicle.
    public var vehicleID: String?
    public var service: String
    public var intervalKm: Double?
    public var intervalDays: Int?
    public var intervalEngineHours: Double?
    public var noticeKm: Double?
    public var noticeDays: Int?

    /// The plans the simulator seeds: per-class oil changes, fleet-wide inspections and tyre rotations.
    static func plans(for specs: [VehicleSpec]) -> [MaintenancePlan] {
        var out = [
            MaintenancePlan(vehicleID: nil, service: "inspection", intervalDays: 180, noticeDays: 14),
            MaintenancePlan(vehicleID: nil, service: "tyre_rotation", intervalKm: 10_000, noticeKm: 500),
        ]
        for s in specs {
            switch s.vehicleClass {
            case .car:
                out.append(MaintenancePlan(vehicleID: s.id, service: "oil_change", intervalKm: 15_000, intervalDays: 365, noticeKm: 1_000, noticeDays: 30))
            case .van:
                out.append(MaintenancePlan(vehicleID: s.id, service: "oil_change", intervalKm: 20_000, intervalDays: 365, noticeKm: 1_000, noticeDays: 30))
            case .truck:
                out.append(MaintenancePlan(vehicleID: s.id, service: "oil_change", intervalKm: 60_000, intervalDays: 180,
                                           intervalEngineHours: 1_000, noticeKm: 2_000, noticeDays: 14))
            }
        }
        return out
    }

    func applies(to vehicle: String) -> Bool { vehicleID == nil || vehicleID == vehicle }
}

/// The last service of one plan for one vehicle, seeded into `service_records`.
public struct ServiceRecord: Sendable, Equatable {
    public var vehicleID: String
    public var service: String
    public var performedAtMs: Int64
    public var odometerKm: Double
    public var engineHours: Double
}
