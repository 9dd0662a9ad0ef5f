import FleetCore
import Testing
@testable import FleetSim
import SeededRandom

@Suite struct RandomTests {
    @Test func sameSeedSameStream() {
        var a = SimRandom(seed: 99), b = SimRandom(seed: 99), c = SimRandom(seed: 100)
        let xa = (0..<100).map { _ in a.next() }
        #expect(xa == (0..<100).map { _ in b.next() })
        #expect(xa != (0..<100).map { _ in c.next() })
    }

    @Test func distributionsAreSane() {
        var r = SimRandom(seed: 1)
        let n = 20_000
        var sum = 0.0, sq = 0.0, umin = 1.0, umax = 0.0
        for _ in 0..<n {
            let x = r.normal()
            sum += x; sq += x * x
            let u = r.unit()
            umin = min(umin, u); umax = max(umax, u)
        }
        #expect(abs(sum / Double(n)) < 0.05)
        #expect(abs(sq / Double(n) - 1) < 0.05)
        #expect(umin >= 0 && umax < 1)
    }
}

@Suite struct EncodingTests {
    func encode(_ v: Double, _ d: Int) -> String {
        var b: [UInt8] = []
        JSONBytes.appendFixed(v, decimals: d, to: &b)
        return String(decoding: b, as: UTF8.self)
    }

    @Test func fixedPointNumbers() {
        #expect(encode(0, 3) == "0")
        #expect(encode(12.5, 1) == "12.5")
        #expect(encode(-13.404954, 6) == "-13.404954")
        #expect(encode(0.05, 3) == "0.05")
        #expect(encode(1.0009, 3) == "1.001")
        #expect(encode(9.9996, 3) == "10")
        #expect(encode(-0.0001, 2) == "0")
        #expect(encode(123456.007, 2) == "123456.01")
        var b: [UInt8] = []
        JSONBytes.appendInt(-1_767_225_600_123, to: &b)
        #expect(String(decoding: b, as: UTF8.self) == "-1767225600123")
    }

    @Test func samplesDecodeAsUnitPayloads() {
        var s = Reading(vehicleID: "v00001", channel: .telemetry, ts: 1_767_225_601_916, seq: 42)
        s.fuelL = 68.3; s.odometerKm = 105_524.91; s.lat = 52.505212; s.lon = -0.000123
        s.speedKmh = 47.3; s.headingDeg = 271; s.ignition = false; s.engineHours = 3862.39
        var buf: [UInt8] = []
        s.appendJSON(to: &buf)
        let d = PayloadDecoder().decode(topic: "fleet/v00001/telemetry", payload: buf)
        #expect(d.rejections.isEmpty)
        let r = try! #require(d.readings.first)
        #expect(r.ts == s.ts && r.seq == 42 && r.fuelL == 68.3 && r.odometerKm == 105_524.91)
        #expect(r.lat == 52.505212 && r.lon == -0.000123 && r.speedKmh == 47.3 && r.headingDeg == 271)
        #expect(r.ignition == false && r.engineHours == 3862.39 && r.fuelPct == nil)
        #expect(r == s, "the simulator's reading is the one fleetd decodes")
    }

    @Test func rfc3339RoundTrip() {
        for ms: Int64 in [0, 1_767_225_600_000, 1_767_225_601_916, 951_782_400_123, 4_102_444_799_999] {
            #expect(RFC3339.parse(RFC3339.format(ms)) == ms)
        }
        #expect(RFC3339.format(1_767_225_601_916) == "2026-01-01T00:00:01.916Z")
        #expect(RFC3339.parse("2026-01-01T02:00:00+02:00") == 1_767_225_600_000)
        #expect(RFC3339.parse("2026-01-01T00:00:00Z") == 1_767_225_600_000)
        #expect(RFC3339.parse("yesterday") == nil)
    }

    @Test func truthLinesRoundTrip() throws {
        var e = TruthEvent(kind: .drain, vehicle: "v00012", startMs: 1_767_225_601_916, endMs: 1_767_226_601_916)
        e.volumeL = 23.456; e.moving = false; e.levelBeforeL = 40; e.levelAfterL = 16.544
        var m = TruthEvent(kind: .maintenance, vehicle: "v00001", startMs: 5, endMs: 5)
        m.service = "oil_change"; m.trigger = .distance; m.level = .dueSoon
        var k = TruthEvent(kind: .clockSkew, vehicle: "v00002", startMs: 7, endMs: 9_000)
        k.skewMs = 3_600_123
        let text = [e, m, k].map(TruthCodec.line).joined(separator: "\n")
        #expect(try TruthCodec.parse(text) == [e, m, k])
    }

    @Test func loadPayloadsAreValidAndArraysKeepOneChannel() {
        var rng = SimRandom(seed: 3)
        var v = LoadVehicle(index: 4, split: true, firstTs: fixedStart, rng: &rng)
        for _ in 0..<6 {
            var buf: [UInt8] = []
            let ch = v.appendNext(to: &buf, rng: &rng)
            let d = PayloadDecoder().decode(topic: "fleet/\(v.id)/\(ch.rawValue)", payload: buf)
            #expect(d.rejections.isEmpty && d.readings.count == 1)
        }
        #expect(v.id == "v00005")
    }
}
