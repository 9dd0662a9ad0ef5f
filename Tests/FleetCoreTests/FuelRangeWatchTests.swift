import FleetCore
import SeededRandom
import Foundation
import Testing

/// `fuel_out_of_range`: README's bounds (0 to capacity + 5 %), one flag per incident,
/// including levels the decoder already dropped.
@Suite struct FuelRangeWatchTests {
    static let t0: Int64 = 1_700_000_000_000

    static func fuel(_ i: Int, l: Double? = nil, pct: Double? = nil) -> Reading {
        Reading(vehicleID: "v", channel: .fuel, ts: t0 + Int64(i) * 1000, fuelL: l, fuelPct: pct)
    }

    static func run(_ readings: [Reading], capacityL: Double?) -> [Anomaly] {
        var watch = FuelRangeWatch()
        return readings.flatMap { watch.feed($0, capacityL: capacityL) }
    }

    @Test func aboveTheTankIsOneFlagPerIncident() {
        var readings = (0..<100).map { Self.fuel($0, l: 60) }
        for i in 20..<30 { readings[i].fuelL = 130 }  // 100 L tank
        readings[50].fuelL = 140
        let found = Self.run(readings, capacityL: 100)
        #expect(found.map(\.kind) == [.fuelOutOfRange, .fuelOutOfRange])
        #expect(found.map(\.ts) == [readings[20].ts, readings[50].ts])
        #expect(found[0].value == 130 && found[0].expected == 100 && found[0].severity == .warning)
        #expect(found[0].details["unit"] == .text("l") && found[0].details["capacity_l"] == .number(100))
        #expect(found[0].details["channel"] == .text("fuel"))
    }

    @Test func theToleranceIsFivePercent() {
        let readings = [Self.fuel(0, l: 105), Self.fuel(1, pct: 104.9), Self.fuel(2, pct: 0), Self.fuel(3, l: 0)]
        #expect(Self.run(readings, capacityL: 100).isEmpty)
        #expect(Self.run([Self.fuel(0, l: 105.1)], capacityL: 100).count == 1)
    }

    @Test func withoutACapacityOnlyImpossibleLevelsCount() {
        #expect(Self.run([Self.fuel(0, l: 5_000)], capacityL: nil).isEmpty)
        let found = Self.run([Self.fuel(0, l: -2), Self.fuel(1, pct: 106)], capacityL: nil)
        #expect(found.count == 1)
        #expect(found.first?.value == -2 && found.first?.expected == nil)
    }

    @Test func readingsWithoutALevelNeitherStartNorEndAnIncident() {
        var odometer = Reading(vehicleID: "v", channel: .odometer, ts: Self.t0 + 1500, odometerKm: 10)
        odometer.flags = .invalidFix
        let readings = [Self.fuel(0, pct: 120), odometer, Self.fuel(2, pct: 130), Self.fuel(3, pct: 50), Self.fuel(4, pct: 110)]
        let found = Self.run(readings, capacityL: 80)
        #expect(found.map(\.ts) == [readings[0].ts, readings[4].ts])
        #expect(found[0].details["unit"] == .text("pct"))
    }

    @Test func levelsTheDecoderDroppedAreFlagged() {
        let decoder = PayloadDecoder()
        let json = #"[{"ts":1000,"fuel_l":40},{"ts":2000,"fuel_l":-5},{"ts":3000,"fuel_pct":250},{"ts":4000,"fuel_l":41},{"ts":5000,"fuel_pct":-1,"fuel_l":40}]"#
        let readings = decoder.decode(topic: "fleet/v/fuel", payload: Array(json.utf8)).readings
        #expect(readings.count == 5)
        let found = Self.run(readings, capacityL: nil)
        #expect(found.map(\.ts) == [2000, 5000])
        #expect(found.allSatisfy { $0.value == nil && $0.kind == .fuelOutOfRange })
        // The field still present tells which one was dropped.
        #expect(found[1].details["unit"] == .text("pct"))
    }

    /// Random level streams with injected incidents: exactly one flag per incident, at its start.
    @Test(arguments: 0..<8)
    func oneFlagPerInjectedIncident(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        let capacity = rng.uniform(40, 800)
        let pct = rng.chance(0.3)
        var readings: [Reading] = []
        var starts: [Int64] = []
        var inIncident = false
        for i in 0..<5_000 {
            let ts = Self.t0 + Int64(i) * 1000
            if rng.chance(0.1) {  // other channels interleave and change nothing
                readings.append(Reading(vehicleID: "v", channel: .gps, ts: ts, lat: 52, lon: 13))
                continue
            }
            let bad = inIncident ? rng.chance(0.8) : rng.chance(0.01)
            var level = rng.uniform(0, 1.05) * capacity
            if bad {
                level = rng.chance(0.7) ? capacity * rng.uniform(1.06, 1.6) : -rng.uniform(0.1, 8)
                if !inIncident { starts.append(ts) }
            }
            inIncident = bad
            var r = pct ? Self.fuel(i, pct: level / capacity * 100) : Self.fuel(i, l: level)
            r.ts = ts
            if bad && rng.chance(0.5) {  // as the decoder leaves it
                r.fuelL = nil
                r.fuelPct = nil
                r.flags = .fuelOutOfRange
            }
            readings.append(r)
        }
        let found = Self.run(readings, capacityL: capacity)
        #expect(found.map(\.ts) == starts)
        #expect(!starts.isEmpty)
    }

    @Test func stateSurvivesAJSONRoundTrip() throws {
        var watch = FuelRangeWatch()
        _ = watch.feed(Self.fuel(0, l: 500), capacityL: 100)
        let back = try JSONDecoder().decode(FuelRangeWatch.self, from: JSONEncoder().encode(watch))
        #expect(back == watch)
        var resumed = back
        #expect(resumed.feed(Self.fuel(1, l: 500), capacityL: 100).isEmpty)
    }
}
