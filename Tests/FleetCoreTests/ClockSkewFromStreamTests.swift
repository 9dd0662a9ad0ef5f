import FleetCore
import Testing

/// A skewed clock recognised from the unit's own stream (its `seq` cadence, ignition and odometer),
/// so that a backlog or a fast replay, where receipt time says nothing, gives the events a live
/// stream gives.
@Suite struct ClockSkewFromStreamTests {
    static let t0: Int64 = 1_700_000_000_000
    static let hour: Int64 = 3_600_000

    /// One telemetry unit: `n` readings `periodMs` apart with consecutive `seq`; while `driving` it
    /// moves north at 36 km/h with the ignition on, else it stands with the ignition off. Readings in
    /// `skewed` carry a clock `skewMs` ahead.
    static func unit(_ n: Int, periodMs: Int64, driving: Bool, skewed: Range<Int> = 0..<0, skewMs: Int64 = 0) -> [Reading] {
        (0..<n).map { i in
            let t = t0 + Int64(i) * periodMs
            let km = driving ? Double(t - t0) / 100_000 : 0  // 36 km/h
            return Reading(vehicleID: "v", channel: .telemetry, ts: t + (skewed.contains(i) ? skewMs : 0), seq: Int64(i),
                           fuelL: 60 - km / 10, odometerKm: 20_000 + km, lat: 52 + km / 111, lon: 13, speedKmh: driving ? 36 : 0,
                           ignition: driving)
        }
    }

    /// True device times (the readings' own, less any skew), for receipt.
    static func trueTimes(_ readings: [Reading], skewed: Range<Int>, skewMs: Int64) -> [Int64] {
        readings.indices.map { readings[$0].ts - (skewed.contains($0) ? skewMs : 0) }
    }

    static func detect(_ readings: [Reading], arrivals: [Int64]) -> [Anomaly] {
        var fleet = FleetDetection(windowMs: 10_000)
        var events: [DetectionEvent] = []
        for (r, a) in zip(readings, arrivals) { _ = fleet.ingest(r, arrivalMs: a, into: &events) }
        fleet.flushAll(into: &events)
        return events.compactMap { if case .anomaly(let a) = $0 { a } else { nil } }
    }

    /// Received hours after the last reading, a message every millisecond: a broker's queue after downtime.
    static func backlog(_ readings: [Reading]) -> [Int64] {
        let after = readings.map(\.ts).max()! + 2 * hour
        return readings.indices.map { after + Int64($0) }
    }

    @Test func aSkewWhileDrivingInABacklogIsFlaggedAtOnceAndItsFaultsAtTheirTrueTime() {
        let skewed = 100..<300, skew = 2 * Self.hour + 137
        var readings = Self.unit(400, periodMs: 10_000, driving: true, skewed: skewed, skewMs: skew)
        for i in 200..<400 { readings[i].odometerKm! -= 5_000 }  // a rollback inside the incident, kept after it
        let truth = Self.trueTimes(readings, skewed: skewed, skewMs: skew)
        let backlog = Self.detect(readings, arrivals: Self.backlog(readings))
        #expect(backlog.map(\.kind) == [.clockSkew, .odometerRollback], "no odometer or GPS jump at either end: \(backlog.map(\.kind))")
        #expect(backlog.first?.ts == readings[100].ts, "flagged at the device time of its first reading, as receipt flags it live")
        #expect(backlog.first?.details["evidence"] == .text("seq"))
        #expect(backlog.last?.ts == truth[200], "placed by the corrected time")
        // Live, receipt flags the same incident and the same rollback.
        let live = Self.detect(readings, arrivals: truth)
        #expect(live.map { $0.kind } == backlog.map { $0.kind } && live.map { $0.ts } == backlog.map { $0.ts })
    }

    @Test func aSkewWhileParkedInABacklogIsHeldUntilTheClockComesBack() {
        let skewed = 50..<170, skew = 3 * Self.hour + 411
        var readings = Self.unit(300, periodMs: 60_000, driving: false, skewed: skewed, skewMs: skew)
        readings[120].lat = 61  // a GPS jump (one fix 1,000 km away) during the incident
        let truth = Self.trueTimes(readings, skewed: skewed, skewMs: skew)
        let arrivals = Self.backlog(readings)
        var fleet = FleetDetection(windowMs: 10_000)
        var events: [DetectionEvent] = []
        for i in 0..<170 { _ = fleet.ingest(readings[i], arrivalMs: arrivals[i], into: &events) }
        fleet.tick(nowMs: arrivals[169] + 60_000, into: &events)
        // Parked, a unit that slept three hours would look the same: nothing after the stall is fed yet.
        let state = fleet.state(of: "v")!
        #expect(state.clock.isHolding)
        #expect(state.reorder.releasedThrough! < truth[50])
        #expect(events.isEmpty)
        for i in 170..<300 { _ = fleet.ingest(readings[i], arrivalMs: arrivals[i], into: &events) }
        fleet.flushAll(into: &events)
        let found = events.compactMap { if case .anomaly(let a) = $0 { a } else { nil } }
        #expect(found.map(\.kind) == [.clockSkew, .gpsJump], "\(found.map(\.kind))")
        #expect(found.first?.ts == readings[50].ts)
        #expect(found.last?.ts == truth[120])
        #expect(!fleet.state(of: "v")!.clock.isHolding)
        let live = Self.detect(readings, arrivals: truth)
        #expect(live.map { $0.kind } == found.map { $0.kind } && live.map { $0.ts } == found.map { $0.ts })
    }

    @Test func aUnitSilentForHoursInABacklogIsTakenAtItsWord() {
        // Parked, reporting every minute, then silent for three hours with the next `seq` (asleep, not
        // skewed): after twelve hours without the clock jumping back, time really passed.
        var readings = Self.unit(1_000, periodMs: 60_000, driving: false)
        for i in 100..<1_000 { readings[i].ts += 3 * Self.hour }
        for i in 900..<1_000 { readings[i].odometerKm! -= 3_000 }
        let found = Self.detect(readings, arrivals: Self.backlog(readings))
        #expect(found.map(\.kind) == [.odometerRollback])
        #expect(found.first?.ts == readings[900].ts, "at its own time")
    }

    @Test func receiptVouchesForASilentUnitLive() {
        var readings = Self.unit(300, periodMs: 60_000, driving: false)
        for i in 100..<300 { readings[i].ts += 3 * Self.hour }
        var fleet = FleetDetection(windowMs: 10_000)
        var events: [DetectionEvent] = []
        for r in readings { _ = fleet.ingest(r, arrivalMs: r.ts + 2_000, into: &events) }
        #expect(!fleet.state(of: "v")!.clock.isHolding)
        #expect(fleet.state(of: "v")!.reorder.releasedThrough! > readings[100].ts, "nothing held back")
        #expect(events.isEmpty)
    }

    @Test func aUnitAsleepDuringAnOutageIsReleasedOnceItsLiveReadingsAreOnTime() {
        // Parked, asleep for three hours in the middle of a store-and-forward outage: its backlog
        // shows the stall and receipt says nothing of it, so it is held; then the unit is live again
        // and five minutes of readings on time say the clock was right all along.
        var readings = Self.unit(300, periodMs: 60_000, driving: false)
        for i in 100..<300 { readings[i].ts += 3 * Self.hour }
        for i in 120..<300 { readings[i].odometerKm! -= 2_000 }
        let arrivals = readings.indices.map { i in i < 100 ? readings[i].ts + 2_000 : i < 150 ? readings[150].ts : readings[i].ts + 2_000 }
        var fleet = FleetDetection(windowMs: 10_000)
        var events: [DetectionEvent] = []
        for i in 0..<152 { _ = fleet.ingest(readings[i], arrivalMs: arrivals[i], into: &events) }
        #expect(fleet.state(of: "v")!.clock.isHolding, "one reading on time is not proof")
        for i in 152..<300 { _ = fleet.ingest(readings[i], arrivalMs: arrivals[i], into: &events) }
        #expect(!fleet.state(of: "v")!.clock.isHolding)
        fleet.flushAll(into: &events)
        let found = events.compactMap { if case .anomaly(let a) = $0 { a } else { nil } }
        #expect(found.map(\.kind) == [.odometerRollback])
        #expect(found.first?.ts == readings[120].ts, "at its own time")
    }

    @Test func aReplayedSkewOfDaysIsMeasuredByTheCadenceNotByReceipt() {
        // Replayed 1,000× faster than real time after the fact: the skewed readings are ahead of
        // receipt, but by far less than the skew; placed by receipt they would land days late and
        // make every later reading late.
        let skewed = 100..<200, skew = 6 * 24 * Self.hour + 5_123
        var readings = Self.unit(400, periodMs: 10_000, driving: true, skewed: skewed, skewMs: skew)
        for i in 300..<400 { readings[i].odometerKm! -= 4_000 }
        let truth = Self.trueTimes(readings, skewed: skewed, skewMs: skew)
        let replay = truth.map { Self.t0 + 24 * Self.hour + ($0 - Self.t0) / 1_000 }
        let found = Self.detect(readings, arrivals: replay)
        #expect(found.map(\.kind) == [.clockSkew, .odometerRollback])
        #expect(found.last?.ts == truth[300])
        #expect(found.first.map { abs($0.value! - Double(skew) / 1000) < 1 } == true, "offset \(found.first?.value ?? 0) s")
    }

    @Test func aStallWithTheVehicleDrivingOnIsNoSkew() {
        // Ignition on both sides, but the odometer covered the gap at road speed: the unit lost three
        // hours of readings without store-and-forward, the clock is right.
        var readings = Self.unit(300, periodMs: 10_000, driving: true)
        for i in 100..<300 {
            readings[i].ts += 3 * Self.hour
            readings[i].odometerKm! += 240
        }
        let found = Self.detect(readings, arrivals: Self.backlog(readings))
        #expect(!found.contains { $0.kind == .clockSkew }, "\(found)")
    }
}

extension ClockSkewFromStreamTests {
    @Test func aHoldIsGivenUpWhenTheUnitFallsSilent() {
        // A backlog ending with a stall, then nothing from the unit for over an hour of receipt.
        var readings = Self.unit(200, periodMs: 60_000, driving: false)
        for i in 100..<200 { readings[i].ts += 3 * Self.hour }
        let arrivals = Self.backlog(readings)
        var fleet = FleetDetection(windowMs: 10_000)
        var events: [DetectionEvent] = []
        for (r, a) in zip(readings, arrivals) { _ = fleet.ingest(r, arrivalMs: a, into: &events) }
        fleet.tick(nowMs: arrivals.last! + 30 * 60_000, into: &events)
        #expect(fleet.state(of: "v")!.clock.isHolding)
        fleet.tick(nowMs: arrivals.last! + ClockWatch.maxHoldIdleMs + 2_000, into: &events)
        #expect(!fleet.state(of: "v")!.clock.isHolding)
        #expect(fleet.state(of: "v")!.reorder.heldCount == 0, "released at their own times")
        #expect(fleet.state(of: "v")!.reorder.releasedThrough == readings.last!.ts)
    }
}

extension ClockSkewFromStreamTests {
    /// A split unit that reports seldom while parked (fuel every 5 minutes, odometer every 25) and at
    /// once on an ignition change, its day sent channel by channel as a store-and-forward backlog: a
    /// report ahead of its period (a delivery's ignition on) is neither a clock jumping back nor a
    /// reason to expect the next regular report early.
    @Test func aSparseSplitUnitsBacklogChannelByChannelRaisesNoSkew() {
        var fuel: [Reading] = [], odometer: [Reading] = []
        var ts = Self.t0, fuelSeq: Int64 = 0, odoSeq: Int64 = 0, km = 5_000.0
        var nextFuel = ts, nextOdo = ts
        func report(_ ignition: Bool, speed: Double) {
            fuelSeq += 1
            fuel.append(Reading(vehicleID: "v", channel: .fuel, ts: ts, seq: fuelSeq, fuelL: 80))
            odoSeq += 1
            odometer.append(Reading(vehicleID: "v", channel: .odometer, ts: ts, seq: odoSeq, odometerKm: km, ignition: ignition))
        }
        for cycle in 0..<12 {
            // Deliveries of 8 minutes, every fourth stop 2 h 7 min, ignition off: fuel every 5
            // minutes, odometer every 25 (the short stops teach the odometer's off period short steps).
            let parkedUntil = ts + (cycle % 4 == 3 ? 127 : 8) * 60_000 + Int64(cycle) * 61_000
            while ts < parkedUntil {
                ts += 1_000
                if ts >= nextFuel { fuelSeq += 1; fuel.append(Reading(vehicleID: "v", channel: .fuel, ts: ts, seq: fuelSeq, fuelL: 80)); nextFuel = ts + 300_000 }
                if ts >= nextOdo { odoSeq += 1; odometer.append(Reading(vehicleID: "v", channel: .odometer, ts: ts, seq: odoSeq, odometerKm: km, ignition: false)); nextOdo = ts + 1_500_000 }
            }
            report(true, speed: 0)  // ignition on: every channel at once
            nextFuel = ts + 60_000; nextOdo = ts + 90_000
            let drivingUntil = ts + 30 * 60_000
            while ts < drivingUntil {
                ts += 1_000; km += 0.0125
                if ts >= nextFuel { fuelSeq += 1; fuel.append(Reading(vehicleID: "v", channel: .fuel, ts: ts, seq: fuelSeq, fuelL: 80)); nextFuel = ts + 60_000 }
                if ts >= nextOdo { odoSeq += 1; odometer.append(Reading(vehicleID: "v", channel: .odometer, ts: ts, seq: odoSeq, odometerKm: km, ignition: true)); nextOdo = ts + 90_000 }
            }
            report(false, speed: 0)  // ignition off
            nextFuel = ts + 300_000; nextOdo = ts + 1_500_000
        }
        let backlog = fuel + odometer  // sent channel by channel
        let found = Self.detect(backlog, arrivals: Self.backlog(backlog))
        let skews = found.filter { $0.kind == .clockSkew }
        #expect(skews.isEmpty, "\(skews.map { ($0.ts - Self.t0) / 1000 }) \(skews.map(\.details))")
    }
}
