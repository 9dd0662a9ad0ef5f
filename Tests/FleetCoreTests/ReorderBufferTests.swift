import FleetCore
import SeededRandom
import Testing

/// The reorder window: in-window disorder and repeats change nothing; later readings are late.
@Suite struct ReorderBufferTests {
    /// A vehicle's stream: one reading per second over a few channels, in device order.
    static func stream(_ n: Int, _ rng: inout SimRandom) -> [Reading] {
        var ts: Int64 = 1_700_000_000_000
        return (0..<n).map { _ in
            ts += Int64.random(in: 1...2_000, using: &rng)
            let channel = Channel.allCases.randomElement(using: &rng)!
            return Reading(vehicleID: "v", channel: channel, ts: ts, fuelL: Double.random(in: 0...400, using: &rng))
        }
    }

    /// Arrival = device time + a delay below the window, so no reading is late.
    static func arrivals(_ readings: [Reading], maxDelayMs: Int64, _ rng: inout SimRandom) -> [(Reading, Int64)] {
        readings.map { ($0, $0.ts + Int64.random(in: 0...maxDelayMs, using: &rng)) }.sorted { $0.1 < $1.1 }
    }

    static func run(_ arrivals: [(Reading, Int64)], window: Int64) -> (released: [Reading], outcomes: [ReorderBuffer.Outcome]) {
        var buffer = ReorderBuffer(windowMs: window)
        var released: [Reading] = []
        var outcomes: [ReorderBuffer.Outcome] = []
        for (r, at) in arrivals {
            outcomes.append(buffer.insert(r, arrivalMs: at))
            released += buffer.release(nowMs: at)
        }
        released += buffer.flush()
        return (released, outcomes)
    }

    @Test(arguments: 0..<10)
    func shufflingWithinTheWindowChangesNothing(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        let readings = Self.stream(500, &rng)
        let arrivals = Self.arrivals(readings, maxDelayMs: 9_000, &rng)
        let (released, outcomes) = Self.run(arrivals, window: 10_000)
        #expect(released == readings)
        #expect(outcomes.allSatisfy { $0 == .accepted })
    }

    @Test(arguments: 0..<10)
    func feedingEveryReadingTwiceEqualsOnce(seed: UInt64) {
        var rng = SimRandom(seed: 100 + seed)
        let readings = Self.stream(400, &rng)
        let twice = Self.arrivals(readings + readings, maxDelayMs: 9_000, &rng)
        let (released, outcomes) = Self.run(twice, window: 10_000)
        #expect(released == readings)
        #expect(outcomes.filter { $0 == .duplicate }.count == readings.count)
    }

    @Test func readingsOlderThanWhatWasReleasedAreLate() {
        var buffer = ReorderBuffer(windowMs: 10_000)
        let t0: Int64 = 1_700_000_000_000
        for i in 0..<30 { _ = buffer.insert(Reading(vehicleID: "v", channel: .fuel, ts: t0 + Int64(i) * 1000, fuelL: 1), arrivalMs: t0 + Int64(i) * 1000) }
        let released = buffer.release(nowMs: t0 + 29_000)
        #expect(released.count == 20)
        #expect(buffer.insert(Reading(vehicleID: "v", channel: .gps, ts: t0 + 5_500, lat: 1, lon: 1), arrivalMs: t0 + 30_000) == .late)
        #expect(buffer.insert(Reading(vehicleID: "v", channel: .fuel, ts: t0 + 19_000, fuelL: 1), arrivalMs: t0 + 30_000) == .duplicate)
        #expect(buffer.insert(Reading(vehicleID: "v", channel: .gps, ts: t0 + 19_000, lat: 1, lon: 1), arrivalMs: t0 + 30_000) == .accepted)
        #expect(buffer.insert(Reading(vehicleID: "v", channel: .gps, ts: t0 + 25_500, lat: 1, lon: 1), arrivalMs: t0 + 30_000) == .accepted)
        // A redelivery of a reading the detectors already had is a duplicate, not a late reading,
        // as long as it is among the last few released; older ones cannot be told apart.
        #expect(buffer.insert(Reading(vehicleID: "v", channel: .fuel, ts: t0 + 10_000, fuelL: 1), arrivalMs: t0 + 30_000) == .duplicate)
        #expect(buffer.insert(Reading(vehicleID: "v", channel: .fuel, ts: t0 + 1_000, fuelL: 1), arrivalMs: t0 + 30_000) == .late)
    }

    @Test func aBacklogNewerThanAnythingReleasedIsInOrderHoweverOld() {
        var buffer = ReorderBuffer(windowMs: 10_000)
        let day: Int64 = 86_400_000
        let now: Int64 = 1_700_000_000_000
        _ = buffer.insert(Reading(vehicleID: "v", channel: .fuel, ts: now - 2 * day, fuelL: 1), arrivalMs: now - 2 * day)
        #expect(buffer.release(nowMs: now - 2 * day + 20_000).count == 1)
        // Offline for a day, then the whole backlog at once.
        let backlog = (0..<100).map { Reading(vehicleID: "v", channel: .fuel, ts: now - day + Int64($0) * 60_000, fuelL: 1) }
        for r in backlog.reversed() { #expect(buffer.insert(r, arrivalMs: now) == .accepted) }
        // Held for the window in receiving time (other channels' backlogs may follow), then all in order.
        #expect(buffer.release(nowMs: now + 9_999).isEmpty)
        #expect(buffer.release(nowMs: now + 10_000) == backlog)
    }

    @Test func backlogsOfSeveralChannelsMergeInDeviceOrder() {
        var buffer = ReorderBuffer(windowMs: 10_000)
        let now: Int64 = 1_700_000_000_000
        let start = now - 3 * 3_600_000
        // A split unit back from three hours offline: its fuel probe's backlog first, then its odometer's.
        let fuel = (0..<1_000).map { Reading(vehicleID: "v", channel: .fuel, ts: start + Int64($0) * 10_000, fuelL: 1) }
        let odometer = (0..<1_000).map { Reading(vehicleID: "v", channel: .odometer, ts: start + Int64($0) * 10_000 + 5_000, odometerKm: 1) }
        for r in fuel { #expect(buffer.insert(r, arrivalMs: now) == .accepted) }
        #expect(buffer.release(nowMs: now + 2_000).isEmpty)
        for r in odometer { #expect(buffer.insert(r, arrivalMs: now + 3_000) == .accepted) }
        var released = buffer.release(nowMs: now + 10_000)
        released += buffer.release(nowMs: now + 13_000)
        #expect(released.count == 2_000)
        #expect(released.map(\.ts) == released.map(\.ts).sorted())
    }

    @Test func aQuietVehicleIsReleasedByArrivalTime() {
        var buffer = ReorderBuffer(windowMs: 10_000)
        _ = buffer.insert(Reading(vehicleID: "v", channel: .fuel, ts: 5, fuelL: 1), arrivalMs: 1_000)
        #expect(buffer.release(nowMs: 10_999).isEmpty)
        #expect(buffer.release(nowMs: 11_000).count == 1)
    }

    @Test func memoryIsBounded() {
        var buffer = ReorderBuffer(windowMs: 1_000_000_000, capacity: 100)
        var released = 0
        for i in 0..<1_000 {
            _ = buffer.insert(Reading(vehicleID: "v", channel: .fuel, ts: Int64(i), fuelL: 1), arrivalMs: 0)
            released += buffer.release(nowMs: 0).count
            #expect(buffer.heldCount <= 100)
        }
        #expect(released == 900)
    }
}
