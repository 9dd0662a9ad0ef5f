/// Parses `fleet/{vehicle_id}/{channel}`, the only source of a reading's vehicle identity.
public enum Topic {
    public static let maxVehicleIDLength = 64

    public static func parse(_ topic: String) -> Result<(vehicleID: String, channel: Channel), Rejection> {
        var copy = topic
        // On the topic's bytes in place: no array of parts, no string per part (once per message).
        return copy.withUTF8 { parse(utf8: $0, topic) }
    }

    private static func parse(utf8 b: UnsafeBufferPointer<UInt8>, _ topic: String) -> Result<(vehicleID: String, channel: Channel), Rejection> {
        let slash = UInt8(ascii: "/")
        let prefix = 6  // "fleet/"
        guard b.count > prefix, b.starts(with: "fleet/".utf8),
              let vehicleEnd = b[prefix...].firstIndex(of: slash), !b[(vehicleEnd + 1)...].contains(slash) else {
            return .failure(Rejection(reason: .badTopic, detail: "topic must be fleet/{vehicle_id}/{channel}, got '\(topic.prefix(200))'"))
        }
        let vehicle = UnsafeBufferPointer(rebasing: b[prefix..<vehicleEnd])
        guard isValidVehicleID(vehicle) else {
            return .failure(Rejection(reason: .badTopic, detail: "vehicle_id must be 1-64 characters of A-Z a-z 0-9 . _ -, got '\(String(decoding: vehicle.prefix(80), as: UTF8.self))'"))
        }
        let name = UnsafeBufferPointer(rebasing: b[(vehicleEnd + 1)...])
        guard let channel = channel(name) else {
            return .failure(Rejection(reason: .badTopic, detail: "channel must be telemetry, fuel, odometer or gps, got '\(String(decoding: name.prefix(80), as: UTF8.self))'"))
        }
        return .success((String(decoding: vehicle, as: UTF8.self), channel))
    }

    private static func channel(_ name: UnsafeBufferPointer<UInt8>) -> Channel? {
        let c: Channel
        switch name.count {
        case 9: c = .telemetry
        case 4: c = .fuel
        case 8: c = .odometer
        case 3: c = .gps
        default: return nil
        }
        return name.elementsEqual(c.rawValue.utf8) ? c : nil
    }

    /// 1–64 bytes of `A-Z a-z 0-9 . _ -`: what a unit's topic may name, and all a vehicle id may be.
    @inline(__always)
    public static func isValidVehicleID<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        (1...maxVehicleIDLength).contains(bytes.count) && bytes.allSatisfy(isVehicleIDByte)
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
