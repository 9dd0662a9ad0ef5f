import Foundation

extension SideBySideReport {
    /// One row per kind: ours against naive. Maintenance, unscored kinds and notes are fleetd's.
    public func table() -> String {
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        func ratio(_ v: Double?) -> String { lpad(v.map { String(format: "%.3f", $0) } ?? "-", 6) }
        func mape(_ v: Double?) -> String { lpad(v.map { String(format: "%.1f%%", $0) } ?? "-", 7) }
        // Sub-kinds (drain:parked) carry no precision: detections are not labelled parked or moving.
        func cols(_ k: KindScore?) -> String {
            guard let k else { return lpad("-", 7) + lpad("", 6) + lpad("", 7) + lpad("", 5) + ratio(nil) + ratio(nil) + ratio(nil) + mape(nil) }
            let sub = k.kind.contains(":")
            return lpad(sub ? "" : String(k.detected), 7) + lpad(String(k.truePositives), 6) + lpad(sub ? "" : String(k.falsePositives), 7)
                + lpad(sub ? "" : String(k.duplicates), 5) + ratio(k.precision) + ratio(k.recall) + ratio(k.f1) + mape(k.volumeMAPE)
        }
        // Naive counts reach six digits on slosh: every count column keeps a space in front.
        let head = lpad("found", 7) + lpad("TP", 6) + lpad("FP", 7) + lpad("dup", 5) + lpad("P", 6) + lpad("R", 6) + lpad("F1", 6) + lpad("MAPE", 7)
        var out = pad("", 19) + lpad("", 6) + " | " + pad("fleetd", head.count) + " | naive (Traccar-style, ±5/8 L steps)\n"
        out += pad("kind", 19) + lpad("truth", 6) + " | " + head + " | " + head + "\n"
        var outside: [String] = []
        for k in ours.kinds {
            let n = naive.kind(k.kind)
            out += pad(k.kind, 19) + lpad(String(k.truth), 6) + " | " + cols(k) + " | " + cols(n) + "\n"
            if let r = k.recallOutsideOutages, let count = k.truthOutsideOutages {
                outside.append("\(k.kind) (\(count)): fleetd \(ratio(r).trimmingCharacters(in: .whitespaces)), naive \(ratio(n?.recallOutsideOutages).trimmingCharacters(in: .whitespaces))")
            }
        }
        if !outside.isEmpty { out += "\nrecall outside store-and-forward outages: " + outside.joined(separator: "; ") + "\n" }
        out += ours.openAtEndNote
        // The rest is fleetd's own report below its kind table.
        let own = ours.table()
        if let i = own.range(of: "\nmaintenance alerts:") { out += String(own[i.lowerBound...]) }
        out += "naive baseline: \(naiveLevels) fuel levels from readings, in device-time order per vehicle; it finds refuels and drains only\n"
        return out
    }
}

extension SideBySideReport {
    /// JSON for tools: `{"ours": …, "naive": …, "naive_levels": N}`, stable key order.
    public func json() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try enc.encode(self), as: UTF8.self)
    }
}
