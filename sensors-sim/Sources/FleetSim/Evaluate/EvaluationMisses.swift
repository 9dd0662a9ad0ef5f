import FleetCore

/// One false, duplicate or missed event, and the line that explains it.
public struct EvaluationMiss: Sendable {
    /// FP, DUP or FN.
    public var tag: String
    public var kind: String
    public var vehicle: String
    public var startMs: Int64
    public var endMs: Int64
    public var line: String
}

extension InProcessEvaluation {
    /// Fuel kinds whose false and missed events are worth reading one by one.
    public static let listedKinds = ["refuel", "drain", "fuel_sensor_stuck", "clock_skew", "odometer_rollback", "odometer_jump", "gps_jump",
                                     "gps_invalid", "fuel_dropout", "fuel_out_of_range"]

    /// Our false, duplicate and missed events (the scorer's own matching) with what explains them: the anomaly's details for a false one,
    /// the true event's cause and odometer for a missed one. Events cut off by the end of the run are left out.
    public func misses(kinds: [String] = listedKinds) -> [String] { missList(kinds: kinds).map(\.line) }

    public func missList(kinds: [String] = listedKinds) -> [EvaluationMiss] {
        func time(_ ms: Int64) -> String { Timestamp.formatRFC3339(ms: ms) }
        let detected = events.compactMap { e in e.detected.map { (e, $0) } }
        var lines: [EvaluationMiss] = []
        for k in kinds {
            guard let truthKind = Scorer.scoredKinds.first(where: { $0.name == k })?.truth else { continue }
            let ours = detected.filter { $0.1.kind == k }
            let t = truth.filter { $0.kind == truthKind }
            let m = EventMatching(truth: t, detected: ours.map(\.1), toleranceMs: Scorer.Options().toleranceMs)
            for (j, (e, d)) in ours.enumerated() {
                let tag: String
                switch m.outcomes[j] {
                case .match: continue
                case .falseReport: tag = "FP"
                case .duplicate(let i): tag = "DUP of \(time(t[i].startMs))"
                }
                var line = "\(tag) \(k) \(d.vehicle) \(time(d.startMs))..\(time(d.endMs))"
                if let v = d.volumeL { line += " vol \(v)" }
                if case .transaction(let t) = e { line += " \(t.levelBeforeL)→\(t.levelAfterL) L moving \(t.moving)" }
                if case .anomaly(let a) = e { line += " value \(a.value ?? .nan) expected \(a.expected ?? .nan) \(a.detailsJSON)" }
                let near = truth.filter { $0.vehicle == d.vehicle && abs($0.startMs - d.startMs) < 3_600_000 }.map(\.kind.rawValue)
                if !near.isEmpty { line += " | truth within 1 h: \(near.joined(separator: ","))" }
                lines.append(EvaluationMiss(tag: tag.hasPrefix("DUP") ? "DUP" : tag, kind: k, vehicle: d.vehicle, startMs: d.startMs, endMs: d.endMs, line: line))
            }
            for (i, e) in t.enumerated() where m.matchOf[i] == nil && e.endMs < endMs - 120_000 {
                var line = "FN \(k)\(e.moving == true ? " (moving)" : "") \(e.vehicle) \(time(e.startMs))..\(time(e.endMs))"
                if let v = e.volumeL { line += " vol \(v)" }
                if let c = e.cause { line += " cause \(c)" }
                if let s = e.tankShare { line += String(format: " (%.0f %% of the tank)", s * 100) }
                if let a = e.fromKm, let b = e.toKm { line += " km \(a)→\(b)" }
                if let s = e.skewMs { line += " skew \(s / 1000) s" }
                lines.append(EvaluationMiss(tag: "FN", kind: k, vehicle: e.vehicle, startMs: e.startMs, endMs: e.endMs, line: line))
            }
        }
        // Maintenance alerts match on vehicle, service and level (the scorer also bounds the time).
        let alerts = detected.map(\.1).filter { $0.kind == "maintenance" }
        for t in truth where t.kind == .maintenance
            && !alerts.contains(where: { $0.vehicle == t.vehicle && $0.service == t.service && $0.level == t.level }) {
            lines.append(EvaluationMiss(tag: "FN", kind: "maintenance", vehicle: t.vehicle, startMs: t.startMs, endMs: t.endMs,
                                        line: "FN maintenance \(t.vehicle) \(time(t.startMs)) \(t.service ?? "") \(t.level?.rawValue ?? "") by \(t.trigger?.rawValue ?? "")"))
        }
        return lines
    }
}
