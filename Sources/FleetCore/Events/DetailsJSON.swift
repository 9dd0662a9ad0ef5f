extension Anomaly {
    /// `details` as a flat JSON object with sorted keys (stable bytes for identical events).
    public var detailsJSON: String { Self.json(details) }

    /// A flat JSON object with sorted keys.
    public static func json(_ details: [String: DetailValue]) -> String {
        var out = "{"
        for (i, key) in details.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            JSONString.append(key, to: &out)
            out += ":"
            switch details[key]! {
            case .number(let d): out += d.isFinite ? "\(d)" : "null"
            case .text(let s): JSONString.append(s, to: &out)
            case .flag(let b): out += b ? "true" : "false"
            }
        }
        return out + "}"
    }
}
