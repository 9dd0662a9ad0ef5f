import Foundation

extension ScoreReport {
    /// JSON for tools: stable key order.
    public func json() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try enc.encode(self), as: UTF8.self)
    }

    /// True events still going on when the run ended and not yet reported, left out of `truth`.
    var openAtEndNote: String {
        let open = kinds.compactMap { k in k.openAtEnd.map { "\(k.kind) \($0)" } }
        return open.isEmpty ? "" : "\nnot counted, still going on when the run ended and not reported yet: " + open.joined(separator: ", ") + "\n"
    }

    /// A table for people.
    public func table() -> String {
        func pct(_ v: Double?) -> String { v.map { String(format: "%5.1f%%", $0 * 100) } ?? "    -" }
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        var out = "\(pad("kind", 19)) \(lpad("truth", 6)) \(lpad("found", 6)) \(lpad("TP", 5)) \(lpad("FN", 5)) \(lpad("FP", 5)) \(lpad("dup", 4))  precision  recall     F1   vol MAPE\n"
        for k in kinds {
            let mape = k.volumeMAPE.map { String(format: "%7.1f%%", $0) } ?? (k.volumePairs != nil ? "      -" : "")
            let sub = k.kind.contains(":")
            let found = sub ? "" : String(k.detected), fp = sub ? "" : String(k.falsePositives), dup = sub ? "" : String(k.duplicates)
            out += "\(pad(k.kind, 19)) \(lpad(String(k.truth), 6)) \(lpad(found, 6)) \(lpad(String(k.truePositives), 5)) \(lpad(String(k.falseNegatives), 5)) \(lpad(fp, 5)) \(lpad(dup, 4))     \(pct(k.precision))  \(pct(k.recall))  \(pct(k.f1))  \(mape)"
            if let r = k.recallOutsideOutages, let n = k.truthOutsideOutages { out += "  (recall \(pct(r).trimmingCharacters(in: .whitespaces)) of \(n) outside outages)" }
            out += "\n"
        }
        out += openAtEndNote
        let m = maintenance
        out += "\nmaintenance alerts: expected \(m.expected), raised \(m.raised), matched \(m.matched) (same trigger \(m.sameTrigger), online ones at most \(Int(m.largestGapSeconds)) s from the true crossing\(m.largestGapAt.map { ": \($0)" } ?? "")), missed \(m.missed), unexpected \(m.unexpected)\n"
        for level in m.byLevel.keys.sorted() {
            let c = m.byLevel[level]!
            out += "  \(pad(level, 9)) expected \(c["expected"] ?? 0), raised \(c["raised"] ?? 0), matched \(c["matched"] ?? 0)\n"
        }
        if !unscored.isEmpty {
            out += "\nnot injected by the simulator (no truth): " + unscored.keys.sorted().map { "\($0)=\(unscored[$0]!)" }.joined(separator: ", ") + "\n"
        }
        out += String(format: "\nmatch tolerance: ±%.0f s (maintenance ±%.0f s); one detection matches one true event; precision = matches / detections (duplicates and false reports both count against it), recall = matched true events / true events\n",
                      toleranceSeconds, maintenanceToleranceSeconds)
        for n in notes { out += "note: \(n)\n" }
        return out
    }
}
