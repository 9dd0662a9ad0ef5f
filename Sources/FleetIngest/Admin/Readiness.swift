import FleetCore

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
        let failing = checks.filter { !$0.ok }.map { JSONString.quoted($0.name) }.joined(separator: ",")
        let body = checks.map { "\(JSONString.quoted($0.name)):{\"ok\":\($0.ok),\"detail\":\(JSONString.quoted($0.detail))}" }.joined(separator: ",")
        return "{\"ready\":\(ready),\"failing\":[\(failing)],\"checks\":{\(body)}}"
    }
}
