@testable import FleetCore
import Testing

/// `Topic.parse` works on the topic's bytes in place; it must say exactly what splitting the topic on
/// `/` says, for any topic a unit can send.
@Suite struct TopicTests {
    /// The rule written the plain way: three parts, `fleet`, a valid id, a known channel.
    static func reference(_ topic: String) -> Result<(vehicleID: String, channel: Channel), Rejection> {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "fleet" else {
            return .failure(Rejection(reason: .badTopic, detail: "topic must be fleet/{vehicle_id}/{channel}, got '\(topic.prefix(200))'"))
        }
        let v = Array(parts[1].utf8)
        guard (1...Topic.maxVehicleIDLength).contains(v.count), v.allSatisfy(Topic.isVehicleIDByte) else {
            return .failure(Rejection(reason: .badTopic, detail: "vehicle_id must be 1-64 characters of A-Z a-z 0-9 . _ -, got '\(String(decoding: v.prefix(80), as: UTF8.self))'"))
        }
        guard let channel = Channel(rawValue: parts[2]) else {
            return .failure(Rejection(reason: .badTopic, detail: "channel must be telemetry, fuel, odometer or gps, got '\(String(decoding: Array(parts[2].utf8).prefix(80), as: UTF8.self))'"))
        }
        return .success((parts[1], channel))
    }

    static func same(_ a: Result<(vehicleID: String, channel: Channel), Rejection>, _ b: Result<(vehicleID: String, channel: Channel), Rejection>) -> Bool {
        switch (a, b) {
        case let (.success(x), .success(y)): x.vehicleID == y.vehicleID && x.channel == y.channel
        case let (.failure(x), .failure(y)): x.reason == y.reason && x.detail == y.detail
        default: false
        }
    }

    @Test func agreesWithSplittingOnSlashesForRandomTopics() {
        let pieces = ["fleet", "/", "/", "v1", "truck-7.b_2", "telemetry", "fuel", "odometer", "gps", "fue", "gpss", " ", "é", "\u{0}",
                      "", "Fleet", String(repeating: "a", count: 64), String(repeating: "b", count: 65), "#", "+"]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        var topics = ["fleet/v1/fuel", "fleet//gps", "fleet/v1/", "fleet/", "fleet", "/v1/fuel", "fleet/v1/fuel/", "fleet/v1//fuel", ""]
        for _ in 0..<20_000 {
            var t = next(3) == 0 ? "" : "fleet/"
            for _ in 0..<(1 + next(5)) { t += pieces[next(pieces.count)] }
            topics.append(t)
        }
        for t in topics {
            #expect(Self.same(Topic.parse(t), Self.reference(t)), "\(t.debugDescription)")
        }
    }
}
