import FleetCore

extension InProcessEvaluation {
    /// Fuel kinds whose false and missed events are worth reading one by one.
    public static let listedKinds = ["refuel", "drain", "fuel_sensor_stuck", "clock_skew", "odometer_rollback", "gps_jump", "gps_invalid", "fuel_dropout"]

    /// Our false and missed events with what explains them: the anomaly's details for a false one,
    /// the true event's cause and odometer for a missed one. Missed drains on the road (no bar) and
    /// events cut off by the end of the run are left out.
    public func misses(kinds: [String] = listedKinds) -> [String] {
        let tolerance: Int64 = 600_000
        func overlaps(_ d: DetectedEvent, _ t: TruthEvent) -> Bool {
            d.vehicle == t.vehicle && d.startMs <= t.endMs + tolerance + (t.skewMs ?? 0) && d.endMs >= t.startMs - tolerance
        }
        func time(_ ms: Int64) -> String { Timestamp.formatRFC3339(ms: ms) }
        let detected = events.compactMap { e in e.detected.map { (e, $0) } }
        var lines: [String] = []
        for k in kinds {
            for (e, d) in detected where d.kind == k && !truth.contains(where: { $0.kind.rawValue == k && overlaps(d, $0) }) {
                var line = "FP \(k) \(d.vehicle) \(time(d.startMs))..\(time(d.endMs))"
                if let v = d.volumeL { line += " vol \(v)" }
                if case .transaction(let t) = e { line += " \(t.levelBeforeL)→\(t.levelAfterL) L moving \(t.moving)" }
                if case .anomaly(let a) = e { line += " value \(a.value ?? .nan) expected \(a.expected ?? .nan) \(a.detailsJSON)" }
                let near = truth.filter { $0.vehicle == d.vehicle && abs($0.startMs - d.startMs) < 3_600_000 }.map(\.kind.rawValue)
                if !near.isEmpty { line += " | truth within 1 h: \(near.joined(separator: ","))" }
                lines.append(line)
            }
            for t in truth where t.kind.rawValue == k && t.moving != true && t.endMs < endMs - 120_000
                && !detected.contains(where: { $0.1.kind == k && overlaps($0.1, t) }) {
                var line = "FN \(k) \(t.vehicle) \(time(t.startMs))..\(time(t.endMs))"
                if let v = t.volumeL { line += " vol \(v)" }
                if let c = t.cause { line += " cause \(c)" }
                if let a = t.fromKm, let b = t.toKm { line += " km \(a)→\(b)" }
                if let s = t.skewMs { line += " skew \(s / 1000) s" }
                lines.append(line)
            }
        }
        // Maintenance alerts match on vehicle, service and level (the scorer also bounds the time).
        let alerts = detected.map(\.1).filter { $0.kind == "maintenance" }
        for t in truth where t.kind == .maintenance
            && !alerts.contains(where: { $0.vehicle == t.vehicle && $0.service == t.service && $0.level == t.level }) {
            lines.append("FN maintenance \(t.vehicle) \(time(t.startMs)) \(t.service ?? "") \(t.level ?? "") by \(t.trigger ?? "")")
        }
        return lines
    }
}
