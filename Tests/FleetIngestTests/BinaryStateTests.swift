import FleetCore
import FleetIngest
import FleetSim
import Testing

/// Detector snapshots in fleetd's binary form: every state comes back exactly, and damaged
/// bytes are refused with an error, never a crash.
@Suite struct BinaryStateTests {
    /// Every vehicle's state part-way through a simulated day (reorder windows holding readings,
    /// fuel trackers mid-event, optionals both set and unset).
    static func states(seed: UInt64) -> [VehicleState] {
        var config = NamedScenario.faultySensors.config(seed: seed, vehicles: 20, days: 0.3)
        config.movingPeriodMs = 1_000
        let traffic = DetectionBench.traffic(config)
        var fleet = FleetDetection(windowMs: 10_000)
        var events: [DetectionEvent] = []
        for (r, at) in traffic.readings.prefix(traffic.readings.count * 2 / 3) { _ = fleet.ingest(r, arrivalMs: at, into: &events) }
        return fleet.allStates
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everyStateRoundTripsExactly(seed: UInt64) throws {
        let states = Self.states(seed: seed)
        #expect(states.contains { $0.reorder.heldCount > 0 })
        for s in states {
            let bytes = try BinaryState.encode(s)
            #expect(try BinaryState.decode(VehicleState.self, from: bytes) == s)
        }
    }

    @Test func damagedBytesAreRefused() throws {
        let state = try #require(Self.states(seed: 4).first)
        let bytes = try BinaryState.encode(state)
        var wrongVersion = bytes
        wrongVersion[0] &+= 1
        #expect(throws: (any Error).self) { try BinaryState.decode(VehicleState.self, from: wrongVersion) }
        for cut in [1, 2, bytes.count / 3, bytes.count / 2, bytes.count - 1] {
            #expect(throws: (any Error).self) { try BinaryState.decode(VehicleState.self, from: Array(bytes.prefix(cut))) }
        }
        #expect(throws: (any Error).self) { try BinaryState.decode(VehicleState.self, from: bytes + [0]) }
    }
}
