/// The maintenance plans and service records, indexed for a check on every reading.
///
/// Vehicles with their own plans or any service record get their own resolved thresholds;
/// every other vehicle shares the fleet-wide plans from zero counters, so the check is one
/// dictionary lookup and a few comparisons, and allocates nothing when nothing is crossed.
public struct MaintenanceBook: Sendable {
    let byVehicle: [String: [MaintenanceDue]]
    let fleetWide: [MaintenanceDue]

    public init(plans: [MaintenancePlanRow], records: [ServiceRecordRow]) {
        struct RecordKey: Hashable { var vehicleID: String, service: String }
        var latest: [RecordKey: ServiceRecordRow] = [:]
        for r in records {
            let k = RecordKey(vehicleID: r.vehicleID, service: r.service)
            // Latest by performed_at; the later-entered row settles a tie.
            if let old = latest[k], (old.performedAtMs, old.id) > (r.performedAtMs, r.id) { continue }
            latest[k] = r
        }
        let global = plans.filter { $0.vehicleID == nil }
        var own: [String: [MaintenancePlanRow]] = [:]
        for p in plans { if let v = p.vehicleID { own[v, default: []].append(p) } }
        var vehicles = Set(own.keys)
        for k in latest.keys { vehicles.insert(k.vehicleID) }
        var byVehicle: [String: [MaintenanceDue]] = [:]
        for v in vehicles {
            byVehicle[v] = (own[v, default: []] + global).map {
                MaintenanceDue(plan: $0, record: latest[RecordKey(vehicleID: v, service: $0.service)])
            }
        }
        self.byVehicle = byVehicle
        fleetWide = global.map { MaintenanceDue(plan: $0, record: nil) }
    }

    /// Every level crossed at this moment, raised before or not (the caller keeps the keys it
    /// has raised). Distance needs `odometerKm`, engine hours need `engineHours`; time always applies.
    public func alerts(vehicleID: String, ts: Int64, odometerKm: Double?, engineHours: Double?) -> [MaintenanceAlert] {
        var out: [MaintenanceAlert] = []
        for due in byVehicle[vehicleID] ?? fleetWide {
            if let t = due.soonTrigger(ts: ts, odometerKm: odometerKm) {
                out.append(due.alert(vehicleID, t, .dueSoon, ts: ts, odometerKm: odometerKm))
            }
            if let t = due.overdueTrigger(ts: ts, odometerKm: odometerKm, engineHours: engineHours) {
                out.append(due.alert(vehicleID, t, .overdue, ts: ts, odometerKm: odometerKm))
            }
        }
        return out
    }
}
