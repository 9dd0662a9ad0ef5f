import FleetCore
import LibPQ

/// Reads fleetd's outputs (the event tables of README, Reference) for the vehicles and span of a truth file.
/// Missing tables read as empty (fleetd may not have created or filled them yet).
public enum DetectedLoader {
    public static func load(from conn: PGConnection, truth: TruthFile, notes: inout [String]) throws(PGError) -> [DetectedEvent] {
        let ids = PGConnection.arrayLiteral(truth.vehicleIDs)
        let start = (truth.startMs ?? truth.events.map(\.startMs).min() ?? 0) - 3_600_000
        // Device clocks can run weeks ahead, and anomalies may carry device time.
        let end = (truth.endMs ?? truth.events.map(\.endMs).max() ?? 0) + 32 * 86_400_000
        let params: [String?] = [ids, RFC3339.format(start), RFC3339.format(end)]
        var out: [DetectedEvent] = []
        let epoch = PGConnection.epochMilliseconds
        if try conn.relationExists("fuel_transactions") {
            let r = try conn.exec("""
                SELECT vehicle_id, kind, \(epoch("started_at")), \(epoch("ended_at")), volume_l FROM fuel_transactions
                WHERE vehicle_id = ANY($1::text[]) AND ended_at >= $2::timestamptz AND started_at <= $3::timestamptz
                """, params)
            for i in 0..<r.rowCount {
                out.append(DetectedEvent(kind: r.string(i, 1) ?? "?", vehicle: r.string(i, 0) ?? "?", startMs: r.int(i, 2) ?? 0,
                                         endMs: r.int(i, 3) ?? r.int(i, 2) ?? 0, volumeL: r.double(i, 4)))
            }
        } else { notes.append("table fuel_transactions does not exist: read as empty") }
        if try conn.relationExists("anomalies") {
            let r = try conn.exec("""
                SELECT vehicle_id, kind, \(epoch("ts")) FROM anomalies
                WHERE vehicle_id = ANY($1::text[]) AND ts >= $2::timestamptz AND ts <= $3::timestamptz
                """, params)
            for i in 0..<r.rowCount {
                out.append(DetectedEvent(kind: r.string(i, 1) ?? "?", vehicle: r.string(i, 0) ?? "?", startMs: r.int(i, 2) ?? 0))
            }
        } else { notes.append("table anomalies does not exist: read as empty") }
        if try conn.relationExists("maintenance_alerts") {
            let r = try conn.exec("""
                SELECT vehicle_id, service, trigger, level, \(epoch("ts")) FROM maintenance_alerts
                WHERE vehicle_id = ANY($1::text[]) AND ts >= $2::timestamptz AND ts <= $3::timestamptz
                """, params)
            for i in 0..<r.rowCount {
                out.append(DetectedEvent(kind: "maintenance", vehicle: r.string(i, 0) ?? "?", startMs: r.int(i, 4) ?? 0,
                                         service: r.string(i, 1), trigger: r.string(i, 2).flatMap(MaintenanceAlert.Trigger.init(rawValue:)),
                                         level: r.string(i, 3).flatMap(MaintenanceAlert.Level.init(rawValue:))))
            }
        } else { notes.append("table maintenance_alerts does not exist: read as empty") }
        return out
    }
}
