/// Parses `fleet/{vehicle_id}/{channel}`, the only source of a reading's vehicle identity.
public enum Topic {
    public static let maxVehicleIDLength = 64

    public static func parse(_ topic: String) -> Result<(vehicleID: String, channel: Channel), Rejection> {
        var parts = topic.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].elementsEqual("fleet".utf8) else {
            return .failure(Rejection(reason: .badTopic, detail: "topic must be fleet/{vehicle_id}/{channel}, got '\(topic.prefix(200))'"))
        }
        let vehicle = parts[1]
        guard (1...maxVehicleIDLength).contains(vehicle.count), vehicle.allSatisfy(isVehicleIDByte) else {
            return .failure(Rejection(reason: .badTopic, detail: "vehicle_id must be 1-64 characters of A-Z a-z 0-9 . _ -, got '\(String(decoding: vehicle.prefix(80), as: UTF8.self))'"))
        }
        guard let channel = Channel(rawValue: String(decoding: parts[2], as: UTF8.self)) else {
            return .failure(Rejection(reason: .badTopic, detail: "channel must be telemetry, fuel, odometer or gps, got '\(String(decoding: parts[2].prefix(80), as: UTF8.self))'"))
        }
        parts.removeAll()
        return .success((String(decoding: vehicle, as: UTF8.self), channel))
    }

    @inline(__always)
    static func isVehicleIDByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
