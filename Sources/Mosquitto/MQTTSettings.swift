/// How fleetd connects and subscribes to the broker.
public struct MQTTSettings: Sendable {
    public var host: String
    public var port: Int
    public var tls: Bool
    public var clientID: String
    public var username: String?
    public var password: String?
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// Seconds the broker keeps our session (and queues QoS 1 messages) while we are away.
    public var sessionExpiry: UInt32
    /// How many unacknowledged QoS 1 messages the broker may have in flight to us.
    public var receiveMaximum: Int
    public var keepalive: Int
    public var topics: [String]

    public static let defaultTopics = ["fleet/+/telemetry", "fleet/+/fuel", "fleet/+/odometer", "fleet/+/gps"]

    public init(
        host: String = "127.0.0.1", port: Int = 1883, tls: Bool = false, clientID: String,
        username: String? = nil, password: String? = nil, caFile: String? = nil,
        certFile: String? = nil, keyFile: String? = nil, sessionExpiry: UInt32 = 7 * 86_400,
        receiveMaximum: Int = 1000, keepalive: Int = 30, topics: [String] = MQTTSettings.defaultTopics
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.clientID = clientID
        self.username = username
        self.password = password
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.sessionExpiry = sessionExpiry
        self.receiveMaximum = receiveMaximum
        self.keepalive = keepalive
        self.topics = topics
    }

    /// From `mqtt://[user@]host[:port]` or `mqtts://…`, the rest defaulted; nil when `url` is neither.
    public init?(url: String, clientID: String) {
        guard let b = Self.parseURL(url) else { return nil }
        self.init(host: b.host, port: b.port, tls: b.tls, clientID: clientID, username: b.username)
    }

    /// Parses `mqtt://host[:port]` or `mqtts://host[:port]` (user info is taken as the username).
    public static func parseURL(_ url: String) -> (host: String, port: Int, tls: Bool, username: String?)? {
        let tls: Bool
        var rest: Substring
        if url.hasPrefix("mqtt://") { tls = false; rest = url.dropFirst(7) }
        else if url.hasPrefix("mqtts://") { tls = true; rest = url.dropFirst(8) }
        else { return nil }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var username: String?
        if let at = rest.lastIndex(of: "@") {
            username = String(rest[..<at].split(separator: ":", maxSplits: 1).first ?? "")
            rest = rest[rest.index(after: at)...]
        }
        var host = rest
        var port = tls ? 8883 : 1883
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()) else { return nil }; port = p }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = p
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return (String(host), port, tls, username?.isEmpty == true ? nil : username)
    }
}
