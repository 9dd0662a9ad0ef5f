import Testing

@testable import FleetCore

/// Idle vehicles leave memory and come back with the state they left with: what a fleet of many
/// vehicles, or a flood of invented ids, needs to stay bounded.
@Suite struct FleetDetectionEvictionTests {
    static func reading(_ v: String, ts: Int64, km: Double) -> Reading {
        var r = Reading(vehicleID: v, channel: .telemetry, ts: ts)
        r.odometerKm = km
        r.speedKmh = 40
        r.ignition = true
        return r
    }

    @Test func idleUnchangedVehiclesAreEvictedAndTheOthersKept() {
        var d = FleetDetection(windowMs: 0)
        var out: [DetectionEvent] = []
        for (i, v) in ["a", "b", "c", "d"].enumerated() { _ = d.ingest(Self.reading(v, ts: 1_000, km: 100), arrivalMs: Int64(1_000 + i), into: &out) }
        _ = d.takeChanged()
        _ = d.ingest(Self.reading("c", ts: 60_000, km: 101), arrivalMs: 60_000, into: &out)
        // a, b, d idle since ~1 s; c read at 60 s and changed since the snapshot.
        let evicted = d.evictIdle(before: 30_000)
        #expect(Set(evicted) == ["a", "b", "d"])
        #expect(d.vehicleCount == 1 && d.holdsState(of: "c") && !d.holdsState(of: "a"))
        // The moved slots still address the right vehicles.
        #expect(d.takeChanged().map(\.0) == ["c"])
    }

    @Test func aChangedVehicleIsKeptUntilItsStateIsSnapshotted() {
        var d = FleetDetection(windowMs: 0)
        var out: [DetectionEvent] = []
        _ = d.ingest(Self.reading("a", ts: 1_000, km: 100), arrivalMs: 1_000, into: &out)
        #expect(d.evictIdle(before: 50_000).isEmpty, "not yet in a snapshot")
        _ = d.takeChanged()
        #expect(d.evictIdle(before: 50_000) == ["a"])
    }

    @Test func anAdoptedStateContinuesWhereTheEvictedOneStopped() {
        var live = FleetDetection(windowMs: 0), evicting = FleetDetection(windowMs: 0)
        var a: [DetectionEvent] = [], b: [DetectionEvent] = []
        for i in 0..<20 {
            let r = Self.reading("v", ts: Int64(i) * 60_000, km: 100 + Double(i))
            _ = live.ingest(r, arrivalMs: Int64(i) * 60_000, into: &a)
            _ = evicting.ingest(r, arrivalMs: Int64(i) * 60_000, into: &b)
        }
        _ = evicting.takeChanged()
        let stored = evicting.state(of: "v")!
        #expect(evicting.evictIdle(before: .max) == ["v"])
        evicting.adopt("v", stored)
        // An odometer rollback after the gap is seen only with the state carried over.
        let rollback = Self.reading("v", ts: 30 * 60_000, km: 50)
        _ = live.ingest(rollback, arrivalMs: 30 * 60_000, into: &a)
        _ = evicting.ingest(rollback, arrivalMs: 30 * 60_000, into: &b)
        #expect(a.count == b.count && !a.isEmpty)
        #expect(live.state(of: "v") == evicting.state(of: "v"))
    }

    @Test func holdingVehiclesAreNeverEvicted() {
        var d = FleetDetection(windowMs: 10_000)
        var out: [DetectionEvent] = []
        _ = d.ingest(Self.reading("h", ts: 1_000, km: 1), arrivalMs: 1_000, into: &out)
        _ = d.takeChanged()
        #expect(d.isHolding)
        #expect(d.evictIdle(before: 5_000).isEmpty)
    }

    @Test func manyEvictionsKeepEveryIndexConsistent() {
        var d = FleetDetection(windowMs: 0)
        var out: [DetectionEvent] = []
        var rng = SystemRandomNumberGenerator()
        var clock: Int64 = 0
        for round in 0..<50 {
            for _ in 0..<40 {
                clock += 100
                let v = "v\(Int.random(in: 0..<200, using: &rng))"
                if !d.holdsState(of: v) { d.adopt(v, VehicleState(vehicleID: v, windowMs: 0)) }
                _ = d.ingest(Self.reading(v, ts: clock, km: Double(clock) / 1000), arrivalMs: clock, into: &out)
            }
            if round % 3 == 0 { _ = d.takeChanged() }
            for id in d.evictIdle(before: clock - Int64.random(in: 0...2_000, using: &rng)) { #expect(!d.holdsState(of: id)) }
            for s in d.allStates { #expect(d.holdsState(of: s.fuel.vehicleID)) }
        }
        #expect(d.allStates.count == d.vehicleCount)
    }
}
