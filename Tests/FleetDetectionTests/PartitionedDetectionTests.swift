import FleetCore
import FleetSim
import Testing

/// Detection shared by several instances, each owning some partitions of the fleet. A vehicle's events
/// depend only on its own readings and on the receiving clock, so owners fed only their partitions'
/// readings, their clocks kept moving by the rest of the stream (reading back, an owner passes over
/// the other partitions' rows), find exactly what one instance finds: the same events, none twice.
@Suite struct PartitionedDetectionTests {
    static func fleet(_ sim: FleetSimulation) -> FleetDetection {
        var fleet = FleetDetection(windowMs: 10_000)
        fleet.setConfigs(Dictionary(uniqueKeysWithValues: sim.specs.map { ($0.id, VehicleConfig(capacityL: $0.tankL)) }))
        fleet.setMaintenance(InProcessEvaluation.book(sim), raised: [])
        return fleet
    }

    @Test(arguments: [(NamedScenario.realistic, UInt64(2)), (.faultySensors, 4), (.backlog, 6)])
    func ownersOfPartitionsFindWhatOneInstanceFinds(scenario: NamedScenario, seed: UInt64) {
        let config = scenario.config(seed: seed, vehicles: 60, days: 1.5)
        let sim = FleetSimulation(config: config)
        let traffic = DetectionBench.traffic(config).readings
        var one = Self.fleet(sim)
        var expected: [DetectionEvent] = []
        for (r, at) in traffic { _ = one.ingest(r, arrivalMs: at, into: &expected) }
        one.flushAll(into: &expected)

        let scheme = PartitionScheme(count: 16)!
        var owners = Array(repeating: Self.fleet(sim), count: 3)
        var owner = (0..<16).map { $0 % 3 }
        var found: [DetectionEvent] = []
        for (n, (r, at)) in traffic.enumerated() {
            if n == traffic.count / 2 {
                // Half-way, owner 0 hands partitions 0, 3 and 6 to owner 1, its vehicles' states with them.
                let moving: Set = [0, 3, 6]
                owners[1].receive(owners[0].handOver(where: { moving.contains(scheme.partition(of: $0)) }))
                for p in moving { owner[p] = 1 }
            }
            let mine = owner[scheme.partition(of: r.vehicleID)]
            for o in owners.indices {
                if o == mine { _ = owners[o].ingest(r, arrivalMs: at, into: &found) } else { owners[o].tick(nowMs: at, into: &found) }
            }
        }
        for o in owners.indices { owners[o].flushAll(into: &found) }

        #expect(expected.count > 100, "the case must hold events to compare")
        let (missing, unmatched) = EventMultiset.difference(expected: expected, found: found)
        #expect(missing.isEmpty, "\(scenario) seed \(seed): \(missing.count) of \(expected.count) not found by the owners, e.g. \(missing.prefix(3))")
        #expect(unmatched.isEmpty, "\(scenario) seed \(seed): \(unmatched.count) found only by the owners, e.g. \(unmatched.prefix(3))")
    }
}
