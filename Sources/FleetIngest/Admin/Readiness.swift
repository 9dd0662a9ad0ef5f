/// The checks behind /readyz, each with what it saw.
public struct Readiness: Sendable {
    public struct Check: Sendable {
        public var name: String
        public var ok: Bool
        public var detail: String
    }

    public var checks: [Check]
    public var ready: Bool { checks.allSatisfy(\.ok) }

    /// `{"ready":false,"failing":["postgres"],"checks":{"postgres":{"ok":false,"detail":"…"}}}`
    public var json: String {
        func quote(_ s: String) -> String {
            var out = "\""
            for ch in s.unicodeScalars {
                switch ch {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                default:
                    if ch.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(ch.value, radix: 16).count) + String(ch.value, radix: 16) }
                    else { out.unicodeScalars.append(ch) }
                }
            }
            return out + "\""
        }
        let failing = checks.filter { !$0.ok }.map { quote($0.name) }.joined(separator: ",")
        let body = checks.map { "\(quote($0.name)):{\"ok\":\($0.ok),\"detail\":\(quote($0.detail))}" }.joined(separator: ",")
        return "{\"ready\":\(ready),\"failing\":[\(failing)],\"checks\":{\(body)}}"
    }
}
