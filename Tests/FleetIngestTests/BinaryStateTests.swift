import FleetCore
import FleetIngest
import FleetSim
import Testing
import SeededRandom

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

    /// Held readings are stored in their own compact form: every field, present or not, every channel,
    /// ignition on, off and unknown, and the decoder's flags come back as they were.
    @Test func heldReadingsOfEveryShapeRoundTrip() throws {
        var rng = SimRandom(seed: 7)
        var buffer = ReorderBuffer(windowMs: 10_000)
        let channels: [Channel] = [.telemetry, .fuel, .odometer, .gps]
        for i in 0..<300 {
            func maybe(_ v: Double) -> Double? { rng.chance(0.5) ? v : nil }
            var r = Reading(vehicleID: "truck-7.b_2", channel: channels[i % 4], ts: 1_700_000_000_000 + Int64(i) * 997,
                            seq: rng.chance(0.5) ? Int64(i) - 150 : nil, fuelL: maybe(rng.uniform(-1, 400)),
                            fuelPct: maybe(rng.uniform(0, 100)), odometerKm: maybe(rng.uniform(0, 1e6)),
                            lat: maybe(rng.uniform(-90, 90)), lon: maybe(rng.uniform(-180, 180)), speedKmh: maybe(rng.uniform(0, 200)),
                            headingDeg: maybe(rng.uniform(0, 360)), ignition: rng.chance(0.3) ? nil : rng.chance(0.5),
                            engineHours: maybe(rng.uniform(0, 1e5)))
            r.flags = ReadingFlags(rawValue: UInt8(i % 4))
            #expect(buffer.insert(r, arrivalMs: 1_700_000_100_000 + Int64(i)) == .accepted)
        }
        let back = try BinaryState.decode(ReorderBuffer.self, from: BinaryState.encode(buffer))
        #expect(back == buffer && back.heldCount == 300)
    }

    /// Held readings are one packed list of bytes: cut anywhere it is refused, and bytes flipped anywhere
    /// give an error or some state, never a crash.
    @Test func damagedHeldReadingsAreRefused() throws {
        var buffer = ReorderBuffer(windowMs: 10_000)
        for i in 0..<6 {
            let r = Reading(vehicleID: "v1", channel: i % 2 == 0 ? .fuel : .gps, ts: 1_700_000_000_000 + Int64(i) * 1_000,
                            seq: Int64(i), fuelL: 100 - Double(i), lat: 52.5, lon: 13.4, ignition: i % 3 == 0)
            _ = buffer.insert(r, arrivalMs: 1_700_000_100_000)
        }
        let bytes = try BinaryState.encode(buffer)
        for cut in 1..<bytes.count {
            #expect(throws: (any Error).self) { try BinaryState.decode(ReorderBuffer.self, from: Array(bytes.prefix(cut))) }
        }
        var rng = SimRandom(seed: 11)
        for _ in 0..<2_000 {
            var damaged = bytes
            damaged[rng.int(1, bytes.count - 1)] ^= UInt8(rng.int(1, 255))
            _ = try? BinaryState.decode(ReorderBuffer.self, from: damaged)
        }
    }

    /// A state in the middle of a suspected clock stall (cadence learned, an incident open, readings
    /// held for it) comes back exactly, so a restart decides the stall as the running daemon would.
    @Test func aStateHoldingForAClockStallRoundTrips() throws {
        let t0: Int64 = 1_767_225_600_000
        var fleet = FleetDetection(windowMs: 10_000)
        var events: [DetectionEvent] = []
        for i in 0..<200 {
            let skew: Int64 = i >= 100 ? 3 * 3_600_000 + 77 : 0
            let r = Reading(vehicleID: "v", channel: .fuel, ts: t0 + Int64(i) * 60_000 + skew, seq: Int64(i), fuelL: 40, ignition: false)
            _ = fleet.ingest(r, arrivalMs: t0 + 30 * 3_600_000 + Int64(i), into: &events)
        }
        let state = try #require(fleet.state(of: "v"))
        #expect(state.clock.isHolding && state.reorder.heldForClock == 100)
        let back = try BinaryState.decode(VehicleState.self, from: BinaryState.encode(state))
        #expect(back == state)
    }

    /// An optional inside a list has no presence byte in this form: refused when encoding rather
    /// than read back wrong (a state was once silently discarded at every restart this way).
    @Test func anOptionalInAListIsRefused() {
        struct Holder: Codable { var values: [Int64?] }
        #expect(throws: EncodingError.self) { try BinaryState.encode(Holder(values: [1, nil])) }
        #expect(throws: EncodingError.self) { try BinaryState.encode(Holder(values: [1, 2])) }
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

    /// The layout each snapshot version stands for (`SnapshotLayout.fingerprint` of detector states of every
    /// kind: mid-fill, mid-theft, suspect road losses, held readings, stuck and dropping probes). A state type
    /// that changes shape changes it: bump `BinaryState.version` (old snapshots are then refused and their
    /// vehicles start afresh, instead of being read wrongly) and add the new version's fingerprint here.
    static let layoutOfVersion: [UInt8: UInt64] = [7: 0xebbb_c14e_e083_8c37, 8: 0x099c_1511_09d1_d563, 9: 0xb7eb_718f_6b24_811d, 10: 0xd85c_2b18_18a5_6e00]

    @Test func theSnapshotLayoutIsPinnedToItsVersion() throws {
        let layout = SnapshotLayout()
        for physics in PhysicsModel.allCases {
            var config = NamedScenario.faultySensors.config(seed: 5, vehicles: 40, days: 1.2)
            config.physics = physics
            config.faults.drainMoving = 2
            config.faults.drainParked = 2
            config.faults.drainShortStop = 2
            let traffic = DetectionBench.traffic(config)
            var fleet = FleetDetection(windowMs: 10_000)
            var events: [DetectionEvent] = []
            for (i, (r, at)) in traffic.readings.enumerated() {
                _ = fleet.ingest(r, arrivalMs: at, into: &events)
                if i % 2_000 == 0 { for s in fleet.allStates { try layout.record(s) } }
            }
        }
        #expect(layout.entries.count > 100)
        let fingerprint = layout.fingerprint
        let known = try #require(Self.layoutOfVersion[BinaryState.version], "no layout recorded for snapshot version \(BinaryState.version)")
        #expect(fingerprint == known, """
            detector state changed shape (layout 0x\(String(fingerprint, radix: 16))): bump BinaryState.version and \
            add its fingerprint to layoutOfVersion
            """)
        #expect(Set(Self.layoutOfVersion.values).count == Self.layoutOfVersion.count, "two versions with one layout")
    }
}
