import FleetCore
import Foundation

/// Measures the payload decoder on one core against Foundation's two JSON decoders doing the
/// same job (parse, pick the reading's fields), on the same messages in the same run.
/// Why: the decoder is hand-written for speed; this is the measurement that justifies it.
public enum DecoderBench {
    public struct Result: Sendable {
        public var name: String
        public var readingsPerSecond: Double
    }

    /// Codable twin of a unit's reading, for the JSONDecoder baseline.
    struct CodableReading: Decodable {
        var ts: Int64
        var seq: Int64?
        var fuel_l: Double?
        var fuel_pct: Double?
        var odometer_km: Double?
        var lat: Double?
        var lon: Double?
        var speed_kmh: Double?
        var heading_deg: Double?
        var ignition: Bool?
        var engine_hours: Double?
        var vehicle_id: String?
    }

    /// Typical traffic: 80 % single readings, 20 % backlog arrays of 20.
    public static func messages(count: Int) -> [(topic: String, payload: [UInt8])] {
        var out: [(String, [UInt8])] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            func reading(_ k: Int) -> String {
                let ts = 1_700_000_000_000 + Int64(i * 20 + k) * 1000
                return #"{"ts":\#(ts),"seq":\#(i * 20 + k),"fuel_l":\#(Double(4000 - (i % 3000)) / 10),"odometer_km":\#(Double(100_000 + i) / 10),"lat":52.\#(100_000 + i % 90_000),"lon":4.\#(300_000 + i % 90_000),"speed_kmh":\#(i % 120),"heading_deg":\#(i % 360),"ignition":true,"engine_hours":\#(Double(i) / 100)}"#
            }
            let body = i % 5 == 4 ? "[" + (0..<20).map(reading).joined(separator: ",") + "]" : reading(0)
            out.append(("fleet/v\(i % 1000)/telemetry", Array(body.utf8)))
        }
        return out
    }

    public static func run(messages: [(topic: String, payload: [UInt8])], minSeconds: Double = 2) -> [Result] {
        let fleet = measure(minSeconds) { decodeAll(messages) }
        let serialization = measure(minSeconds) {
            var n = 0
            for m in messages {
                guard let any = try? JSONSerialization.jsonObject(with: Data(m.payload)) else { continue }
                let objects = (any as? [[String: Any]]) ?? [(any as? [String: Any]) ?? [:]]
                for o in objects {
                    guard o["ts"] is NSNumber else { continue }
                    let fields = ["fuel_l", "fuel_pct", "odometer_km", "lat", "lon", "speed_kmh", "heading_deg", "engine_hours"]
                    var sum = 0.0
                    for f in fields { sum += (o[f] as? Double) ?? 0 }
                    if sum.isFinite { n += 1 }
                }
            }
            return n
        }
        let codable = measure(minSeconds) {
            let json = JSONDecoder()
            var n = 0
            for m in messages {
                let data = Data(m.payload)
                if m.payload.first == UInt8(ascii: "[") {
                    n += (try? json.decode([CodableReading].self, from: data))?.count ?? 0
                } else if (try? json.decode(CodableReading.self, from: data)) != nil {
                    n += 1
                }
            }
            return n
        }
        return [
            Result(name: "fleetd PayloadDecoder", readingsPerSecond: fleet),
            Result(name: "Foundation JSONSerialization", readingsPerSecond: serialization),
            Result(name: "Foundation JSONDecoder (Codable)", readingsPerSecond: codable),
        ]
    }

    /// fleetd's decoder over every message once; the readings decoded.
    static func decodeAll(_ messages: [(topic: String, payload: [UInt8])]) -> Int {
        let decoder = PayloadDecoder()
        var out = DecodedMessage()
        var n = 0
        for m in messages {
            m.payload.withUnsafeBytes { decoder.decode(topic: m.topic, payload: $0, into: &out) }
            n += out.readings.count
            out.removeAll()
        }
        return n
    }

    /// Repeats `body` until `minSeconds` have passed; readings per second.
    static func measure(_ minSeconds: Double, _ body: () -> Int) -> Double {
        let clock = ContinuousClock()
        var readings = 0
        let start = clock.now
        var elapsed = 0.0
        repeat {
            readings += body()
            let d = clock.now - start
            elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        } while elapsed < minSeconds
        return Double(readings) / elapsed
    }
}
