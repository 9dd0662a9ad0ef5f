import FleetCore
import SeededRandom
import Testing

/// What the decoder keeps: every field, both time forms, unknown fields ignored, impossible
/// values dropped and reported.
@Suite struct DecoderAcceptanceTests {
    let decoder = PayloadDecoder()

    @Test func everyField() throws {
        let json = #"""
            {"ts":1700000000123,"seq":42,"fuel_l":123.4,"fuel_pct":55.5,"odometer_km":100200.3,
             "lat":52.37,"lon":4.89,"speed_kmh":88,"heading_deg":270.5,"ignition":true,
             "engine_hours":1234.5,"vehicle_id":"t1","extra":{"nested":[1,2,{"x":null}]}}
            """#
        let out = decoder.decode(topic: "fleet/t1/telemetry", payload: Array(json.utf8))
        let r = try #require(out.readings.first)
        #expect(out.rejections.isEmpty && out.impossible.isEmpty)
        #expect(r == Reading(vehicleID: "t1", channel: .telemetry, ts: 1_700_000_000_123, seq: 42, fuelL: 123.4,
                             fuelPct: 55.5, odometerKm: 100_200.3, lat: 52.37, lon: 4.89, speedKmh: 88,
                             headingDeg: 270.5, ignition: true, engineHours: 1234.5))
    }

    @Test(arguments: [
        ("2023-11-14T22:13:20Z", Int64(1_700_000_000_000)),
        ("2023-11-14T22:13:20.123Z", 1_700_000_000_123),
        ("2023-11-14T22:13:20.1239Z", 1_700_000_000_123),
        ("2023-11-14t22:13:20.5z", 1_700_000_000_500),
        ("2023-11-14 23:13:20+01:00", 1_700_000_000_000),
        ("2023-11-14T20:43:20-01:30", 1_700_000_000_000),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000),
        ("1970-01-01T00:00:00Z", 0),
    ])
    func rfc3339(text: String, ms: Int64) {
        let out = decoder.decode(topic: "fleet/t1/fuel", payload: Array(#"{"ts":"\#(text)","fuel_l":1}"#.utf8))
        #expect(out.readings.first?.ts == ms)
    }

    @Test func numbersParseExactly() {
        for (text, value) in [("0", 0.0), ("-0.5", -0.5), ("1e2", 100), ("1.25E-1", 0.125), ("123456.789", 123_456.789),
                              ("0.1", 0.1), ("12345678901234567890", 12_345_678_901_234_567_890.0), ("4.9406564584124654e-324", Double.leastNonzeroMagnitude)] {
            let out = decoder.decode(topic: "fleet/t1/fuel", payload: Array(#"{"ts":1,"heading_deg":0,"engine_hours":\#(text)}"#.utf8))
            let kept = out.readings.first?.engineHours ?? out.impossible.first { $0.field == "engine_hours" }?.value
            #expect(kept == value, "\(text)")
        }
    }

    @Test func impossibleValuesAreDroppedNotRejected() throws {
        let json = #"{"ts":1700000000000,"fuel_l":-3,"fuel_pct":180,"odometer_km":5,"lat":123,"lon":4,"speed_kmh":1e999,"heading_deg":400}"#
        let out = decoder.decode(topic: "fleet/t1/telemetry", payload: Array(json.utf8))
        let r = try #require(out.readings.first)
        #expect(out.rejections.isEmpty)
        #expect(r.odometerKm == 5)
        #expect(r.fuelL == nil && r.fuelPct == nil && r.lat == nil && r.lon == nil && r.speedKmh == nil && r.headingDeg == nil)
        #expect(Set(out.impossible.map(\.field)) == ["fuel_l", "fuel_pct", "lat", "lon", "speed_kmh", "heading_deg"])
    }

    @Test func nullIslandAndLoneCoordinatesAreImpossible() {
        let zero = decoder.decode(topic: "fleet/t1/gps", payload: Array(#"{"ts":1,"lat":0,"lon":0,"speed_kmh":3}"#.utf8))
        #expect(zero.readings.first?.lat == nil && zero.impossible.count == 2)
        let lone = decoder.decode(topic: "fleet/t1/gps", payload: Array(#"{"ts":1,"lat":5}"#.utf8))
        #expect(lone.readings.count == 1 && lone.readings.first?.lat == nil)
        #expect(lone.impossible.map(\.field) == ["lat"])
    }

    @Test func escapedKeysAndStrings() {
        let out = decoder.decode(topic: "fleet/t1/fuel", payload: Array(#"{"\u0074s":1,"fuel\u005fl":2,"note":"a\"b\\c\ud83d\ude00"}"#.utf8))
        #expect(out.readings.first?.fuelL == 2)
    }
}

/// The formatter and parser are inverse over the accepted range.
@Suite struct TimestampTests {
    @Test func formatThenParseIsIdentity() {
        var rng = SimRandom(seed: 7)
        for _ in 0..<20_000 {
            let ms = Int64.random(in: Timestamp.validRange, using: &rng)
            let text = Timestamp.formatRFC3339(ms: ms)
            #expect(Timestamp.parseRFC3339(Array(text.utf8)) == ms, "\(text)")
        }
        #expect(Timestamp.formatRFC3339(ms: 1_700_000_000_123) == "2023-11-14T22:13:20.123Z")
    }
}
