import FleetCore
import SeededRandom
import Foundation
import Testing

/// Property tests over random and mutated payloads, with Foundation's JSON parser as the
/// oracle for what is well-formed.
@Suite struct DecoderPropertyTests {
    let decoder = PayloadDecoder()

    static func randomReading(_ rng: inout SimRandom) -> Reading {
        func maybe(_ v: @autoclosure () -> Double) -> Double? { Bool.random(using: &rng) ? v() : nil }
        var r = Reading(vehicleID: "v1", channel: .telemetry, ts: Int64.random(in: 0..<7_258_118_400_000, using: &rng))
        r.seq = Bool.random(using: &rng) ? Int64.random(in: 0...Int64.max, using: &rng) : nil
        r.fuelL = maybe(Double.random(in: 0...1000, using: &rng))
        r.fuelPct = maybe(Double.random(in: 0...100, using: &rng))
        r.odometerKm = maybe(Double.random(in: 0...2_000_000, using: &rng))
        if Bool.random(using: &rng) {
            r.lat = Double.random(in: -90...90, using: &rng)
            r.lon = Double.random(in: 1...180, using: &rng)
        }
        r.speedKmh = maybe(Double((Int.random(in: 0...2000, using: &rng))) / 10)
        r.headingDeg = maybe(Double.random(in: 0...360, using: &rng))
        r.ignition = Bool.random(using: &rng) ? Bool.random(using: &rng) : nil
        r.engineHours = maybe(Double.random(in: 0...50_000, using: &rng))
        if !r.hasMeasurement { r.fuelL = 1 }
        return r
    }

    static func encode(_ r: Reading, _ rng: inout SimRandom) -> String {
        let ws = [" ", "", "\n", "\t", "  "]
        func w() -> String { ws.randomElement(using: &rng)! }
        var fields: [String] = []
        if r.ts % 1000 == 0 || Bool.random(using: &rng) {
            fields.append("\"ts\":\(r.ts)")
        } else {
            fields.append("\"ts\":\"\(Timestamp.formatRFC3339(ms: r.ts))\"")
        }
        func add(_ name: String, _ v: Double?) { if let v { fields.append("\"\(name)\":\(w())\(v)") } }
        if let s = r.seq { fields.append("\"seq\":\(s)") }
        add("fuel_l", r.fuelL); add("fuel_pct", r.fuelPct); add("odometer_km", r.odometerKm)
        add("lat", r.lat); add("lon", r.lon); add("speed_kmh", r.speedKmh); add("heading_deg", r.headingDeg)
        add("engine_hours", r.engineHours)
        if let i = r.ignition { fields.append("\"ignition\":\(i)") }
        if Bool.random(using: &rng) { fields.append("\"firmware\":{\"v\":[1,\"x\",null,true]}") }
        fields.shuffle(using: &rng)
        return "{" + w() + fields.joined(separator: "," + w()) + w() + "}"
    }

    @Test(arguments: 0..<8)
    func randomValidPayloadsRoundTrip(seed: UInt64) throws {
        var rng = SimRandom(seed: seed)
        for _ in 0..<250 {
            let readings = (0..<Int.random(in: 1...20, using: &rng)).map { _ in Self.randomReading(&rng) }
            let json = readings.count == 1 && Bool.random(using: &rng)
                ? Self.encode(readings[0], &rng)
                : "[" + readings.map { Self.encode($0, &rng) }.joined(separator: ",") + "]"
            let out = decoder.decode(topic: "fleet/v1/telemetry", payload: Array(json.utf8))
            #expect(out.rejections.isEmpty, "\(json)")
            #expect(out.readings == readings, "\(json)")
        }
    }

    /// Random edits of valid payloads: never a crash, a well-formed result agrees with the
    /// oracle, and every element of an array is either kept or rejected, never lost.
    @Test(arguments: 0..<8)
    func mutatedPayloadsAreAccountedFor(seed: UInt64) throws {
        var rng = SimRandom(seed: 1000 + seed)
        // No 'e'/'E': a mutation like 12e999 is valid JSON that Foundation refuses (out of
        // range), so the oracle would disagree by design; exponents are covered in
        // DecoderAcceptanceTests.numbersParseExactly.
        let alphabet = Array("{}[]\":,.-+0123456789 tfnulrsa\\/x".utf8)
        for _ in 0..<400 {
            let readings = (0..<Int.random(in: 1...4, using: &rng)).map { _ in Self.randomReading(&rng) }
            var bytes = Array(("[" + readings.map { Self.encode($0, &rng) }.joined(separator: ",") + "]").utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = alphabet.randomElement(using: &rng)!
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: i)
                default: if bytes.count > 1 { bytes.remove(at: i) }
                }
            }
            let out = decoder.decode(topic: "fleet/v1/telemetry", payload: bytes)
            let text = String(decoding: bytes, as: UTF8.self)
            // Foundation tolerates trailing commas, which RFC 8259 does not: no oracle there.
            if text.range(of: #",\s*[}\]]"#, options: .regularExpression) != nil { continue }
            let oracle = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            let wholeRejection = out.rejections.count == 1 && out.rejections[0].range == nil
            if oracle == nil {
                #expect(wholeRejection && out.rejections[0].reason == .invalidJSON, "oracle says invalid: \(text.debugDescription)")
                #expect(out.readings.isEmpty)
            } else {
                #expect(!(wholeRejection && out.rejections[0].reason == .invalidJSON), "oracle says valid: \(text.debugDescription) we say \(out.rejections[0].detail)")
                let elements: Int
                switch oracle {
                case let array as [Any]: elements = array.count
                case is [String: Any]: elements = 1
                default: elements = 1
                }
                if !wholeRejection {
                    #expect(out.readings.count + out.rejections.count == elements, "\(text)")
                }
            }
        }
    }

    @Test func duplicateReadingsAreDecodedAsSentAndShareAKey() {
        let json = #"[{"ts":5,"fuel_l":1},{"ts":5,"fuel_l":1}]"#
        let out = decoder.decode(topic: "fleet/v1/fuel", payload: Array(json.utf8))
        #expect(out.readings.count == 2)
        #expect(Set(out.readings.map(\.key)).count == 1)
    }
}
