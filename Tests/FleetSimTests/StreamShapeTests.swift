import FleetCore
import Testing
@testable import FleetSim

/// The published stream has the shapes fleetd must cope with.
@Suite struct StreamShapeTests {
    @Test func mixedFleetUsesBothTopicStyles() {
        let run = SimRun(smallConfig(.realistic, vehicles: 30, hours: 4))
        let channels = Set(run.messages.map(\.message.channel))
        #expect(channels == Set(Channel.allCases))
        let fuelOnly = run.published().filter { $0.reading.channel == .fuel }
        #expect(fuelOnly.allSatisfy { $0.reading.odometerKm == nil && $0.reading.lat == nil })
        #expect(run.published().contains { $0.reading.fuelPct != nil }, "raw-probe units report fuel_pct")
    }

    @Test func backlogIsPublishedAsArraysAfterTheOutage() {
        let run = SimRun(smallConfig(.backlog, vehicles: 20, hours: 24))
        let arrays = run.messages.filter { $0.message.readings > 1 }
        #expect(!arrays.isEmpty)
        for a in arrays {
            #expect(a.payload.first == UInt8(ascii: "[") && a.message.readings <= 1000 && a.payload.count < 256 * 1024)
            #expect(a.message.publishAtMs > a.message.trueMs)
        }
        let outages = run.truth.filter { $0.kind == .offline }
        #expect(!outages.isEmpty)
        for o in outages {
            let vehicle = run.sim.specs.firstIndex { $0.id == o.vehicle }!
            let live = run.messages.filter { Int($0.message.vehicle) == vehicle && $0.payload.first == UInt8(ascii: "{")
                && $0.message.trueMs > o.startMs && $0.message.trueMs < o.endMs }
            #expect(live.isEmpty, "nothing is published live during an outage")
        }
    }

    @Test func duplicatesAreExactRepeats() {
        let run = SimRun(smallConfig(.backlog, vehicles: 20, hours: 12))
        var seen: [String: Int] = [:]
        for m in run.messages where m.message.readings == 1 {
            seen[m.topic + String(decoding: m.payload, as: UTF8.self), default: 0] += 1
        }
        #expect(seen.values.contains { $0 > 1 })
    }

    @Test func sloshHeavyIsNoisierThanRealisticAndHasNoThefts() {
        func roughness(_ s: NamedScenario) -> Double {
            let run = SimRun(smallConfig(s, vehicles: 20, hours: 16, seed: 4))
            var sum = 0.0, n = 0
            var last: [String: Double] = [:]
            for p in run.published() where (p.reading.speedKmh ?? 0) > 20 || p.reading.channel == .fuel {
                guard let l = litres(p.reading, tank: run.spec(p.reading.vehicleID).tankL) else { continue }
                let tank = run.spec(p.reading.vehicleID).tankL
                if let prev = last[p.reading.vehicleID] { sum += abs(l - prev) / tank; n += 1 }
                last[p.reading.vehicleID] = l
            }
            if s == .sloshHeavy { #expect(!run.truth.contains { $0.kind == .drain }) }
            return sum / Double(max(n, 1))
        }
        let heavy = roughness(.sloshHeavy), normal = roughness(.realistic)
        #expect(heavy > normal * 1.5, "slosh-heavy \(heavy) vs realistic \(normal)")
        #expect(heavy > 0.02, "slosh of several % of the tank")
    }
}
