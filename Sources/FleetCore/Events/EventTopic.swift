/// Where an event is published: `{prefix}/{kind}/{vehicle_id}`.
public enum EventTopic {
    public static let defaultPrefix = "fleetd/events"

    /// The topic, each of `kind` and `vehicleID` one literal level: a byte outside `A-Z a-z 0-9 . _ -`
    /// (a `/`, `+` or `#` from an operator's row among them) is percent-encoded, and an empty value is
    /// `%`. nil when the topic would be longer than MQTT allows.
    public static func make(prefix: String, kind: String, vehicleID: String) -> String? {
        var topic = Array(prefix.utf8)
        for level in [kind, vehicleID] {
            topic.append(UInt8(ascii: "/"))
            encodeLevel(level, into: &topic)
        }
        guard topic.count <= 65_535 else { return nil }
        return String(decoding: topic, as: UTF8.self)
    }

    /// Why `prefix` cannot hold events, or nil when it can. Units write under `fleet/<their id>/`, so a
    /// prefix there would let a unit forge events; wildcards and `$` topics cannot be published to.
    public static func problem(prefix: String) -> String? {
        if prefix.isEmpty || prefix.hasSuffix("/") || prefix.hasPrefix("/") { return "a topic like fleetd/events, without a leading or trailing /" }
        if prefix.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") || $0 == 0 }) { return "no wildcard (+ #) or NUL" }
        if prefix.hasPrefix("$") { return "not a $ topic (the broker's own)" }
        if prefix == "fleet" || prefix.hasPrefix("fleet/") { return "a prefix outside fleet/…, where units publish (they could forge events there)" }
        if prefix.utf8.count > 1024 { return "at most 1024 bytes" }
        return nil
    }

    private static func encodeLevel(_ level: String, into out: inout [UInt8]) {
        if level.isEmpty { return out.append(UInt8(ascii: "%")) }
        let hex = Array("0123456789ABCDEF".utf8)
        for b in level.utf8 {
            if Topic.isVehicleIDByte(b) { out.append(b) } else { out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]] }
        }
    }
}
