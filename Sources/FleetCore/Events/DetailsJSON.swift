extension Anomaly {
    /// `details` as a flat JSON object with sorted keys (stable bytes for identical events).
    public var detailsJSON: String { Self.json(details) }

    /// A flat JSON object with sorted keys.
    public static func json(_ details: [String: DetailValue]) -> String {
        var out = "{"
        for (i, key) in details.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            Self.appendJSONString(key, to: &out)
            out += ":"
            switch details[key]! {
            case .number(let d): out += d.isFinite ? "\(d)" : "null"
            case .text(let s): Self.appendJSONString(s, to: &out)
            case .flag(let b): out += b ? "true" : "false"
            }
        }
        return out + "}"
    }

    static func appendJSONString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}
