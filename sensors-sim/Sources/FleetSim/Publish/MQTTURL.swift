/// `mqtt://host:port` (the only form the simulator needs; TLS is fleetd's concern, not the load's).
public struct MQTTURL: Sendable, Equatable {
    public var host: String
    public var port: Int32

    public init(host: String, port: Int32) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.hasPrefix("mqtt://") { rest = rest.dropFirst(7) } else if rest.contains("://") { return nil }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int32(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            host = String(rest[..<colon])
            port = p
        } else {
            host = String(rest)
            port = 1883
        }
        if host.isEmpty { host = "127.0.0.1" }
    }
}
