/// The per-vehicle fuel detector: feed it the vehicle's merged readings in device-time order, get
/// back refuels, drains and fuel-sensor flags.
///
/// A value: the pipeline keeps one per vehicle, persists it with the batch that changed it and
/// reloads it at start. It reads no clock; time is the readings' device time. Its memory is bounded
/// (a few small rings) however long it runs.
public struct FuelDetector: Sendable, Equatable, Codable {
    public let vehicleID: String
    /// `vehicles.tank_capacity_l`; nil when unknown (then `fuel_pct` readings cannot be used).
    public var capacityL: Double?
    public var overrides: FuelThresholdOverrides

    public private(set) var motion = MotionState()
    var steps = LevelStepTracker()
    var stuck = StuckSensorWatch()
    var dropout = DropoutWatch()
    /// Newest device time seen per channel: a redelivered reading is a no-op.
    var lastTs: [Int64] = [.min, .min, .min, .min]
    var lastLevel: Double?
    var lastLevelTs: Int64?
    var distanceAtLastLevel = 0.0
    /// Where the vehicle was (its newest fix) at the last level.
    var fixAtLastLevel: PositionWatch.Fix?
    /// The unit's usual spacing of levels while parked (a slow average); 0 until seen.
    var parkedSpacingMs: Int64 = 0
    static let maxParkedSpacingMs: Int64 = 30 * 60_000
    /// More than odometer rounding and GPS jitter: the vehicle really went somewhere.
    static let unseenDriveKm = 0.5
    var peakLevel = 0.0
    var refuelDistanceKm: Double?
    var refuelLevelAfter: Double?
    var drainedSinceRefuel = 0.0

    public init(vehicleID: String, capacityL: Double?, overrides: FuelThresholdOverrides = FuelThresholdOverrides()) {
        self.vehicleID = vehicleID
        self.capacityL = capacityL
        self.overrides = overrides
    }

    /// Across a plain data gap (not a dropout, whose zeros cover it), levels on both sides are
    /// comparable only if the vehicle is known to have stayed put: otherwise it may have driven
    /// unseen (a unit off, readings arriving too late to be placed, a split unit whose odometer
    /// reports later than its fuel probe), and the fuel it burned is no theft. The odometer or a
    /// GPS fix reported since the last level says so; many units report the odometer of a parked
    /// vehicle only now and then, its position more often. Either showing a move, it moved.
    func stayedPut() -> Bool {
        let since = lastLevelTs ?? .min
        var evidence = false
        if (motion.odometerTs ?? .min) > since {
            if motion.distanceKm - distanceAtLastLevel > Self.unseenDriveKm { return false }
            evidence = true
        }
        if let before = fixAtLastLevel, let now = motion.fix, now.ts > since {
            if PositionWatch.distanceKm(before, now) > Self.unseenDriveKm { return false }
            evidence = true
        }
        return evidence
    }

    /// Thresholds from the tank (or, unknown, the fullest level seen, at least a car's tank).
    public var thresholds: FuelThresholds {
        FuelThresholds(capacityL: capacityL ?? max(peakLevel, 40)).applying(overrides)
    }

    public mutating func process(_ r: Reading) -> [FuelEvent] {
        let ci = Channel.allCases.firstIndex(of: r.channel)!
        guard r.ts > lastTs[ci] else { return [] }
        lastTs[ci] = r.ts
        let t = thresholds
        motion.update(r, stationaryBelowKmh: t.stationarySpeedKmh)
        guard let (raw, level) = fuelLevel(r) else { return [] }
        // Out of range (fuel_out_of_range is flagged elsewhere): not a level.
        if let c = capacityL, level > c * 1.05 { return [] }
        guard level >= 0 else { return [] }

        var events: [FuelEvent] = []
        // A full tank reads the probe's top value until enough is burned to uncover it, and a tank run all
        // but empty (from under a tenth) its bottom value: the probe's dead zones. A constant reading there
        // while driving is not a stuck sensor; a probe frozen at 0 after a fuller tank still is.
        let fullScale = capacityL.map { level >= 0.99 * $0 } ?? false
        let empty = level <= t.nearZeroL && (lastLevel ?? .infinity) < t.movingDropoutFromL
        if (fullScale || empty) && !stuck.isStuck {
            stuck.restart()
        } else if let a = stuck.observe(raw: raw, ts: r.ts, distanceKm: motion.distanceKm, litres: level, t, vehicleID: vehicleID) {
            events.append(.anomaly(a))
        }
        // A frozen probe says nothing about the level; when it thaws, the jump to the true level is
        // neither a fill nor a theft, so the level history starts afresh.
        if stuck.isStuck { return events }
        if stuck.released { steps = LevelStepTracker(keepingConsumptionOf: steps) }
        let settled = motion.isSettled(at: r.ts, t)
        // While driving, slosh can show an almost empty tank as 0: only a zero well above that range
        // (judged on the trip's median, not one reading) is a dropout.
        let driving = !settled && motion.ignition != false
        let reference = driving ? (steps.tripLevel ?? lastLevel) : lastLevel
        let (inDropout, flag) = dropout.observe(level: level, ts: r.ts, lastLevel: reference, driving: driving,
                                                noiseL: steps.noise.sigma(prior: t.priorNoiseL), t,
                                                vehicleID: vehicleID)
        if let f = flag { events.append(.anomaly(f)) }
        guard !inDropout else { return events }
        // A gap is longer than the unit's own parked spacing allows (units report every few seconds
        // to every few minutes when parked), not longer than a fixed time.
        let gapMs = max(t.gapMs, 3 * parkedSpacingMs)
        let afterGap = flag != nil || lastLevelTs.map { r.ts - $0 > gapMs } ?? false
        if settled, let last = lastLevelTs, r.ts > last, r.ts - last <= Self.maxParkedSpacingMs {
            parkedSpacingMs = parkedSpacingMs == 0 ? r.ts - last : (parkedSpacingMs * 7 + r.ts - last) / 8
        }
        // A plain data gap (not a dropout, whose zeros cover it): levels on both sides are comparable
        // only if the odometer has reported since and shows the vehicle stayed put. Otherwise it may
        // have driven unseen (a unit off, readings arriving too late to be placed, a split unit whose
        // odometer reports later than its fuel probe), and the fuel it burned is no theft.
        if afterGap, flag == nil, !stayedPut() { steps.movedUnseen() }
        lastLevel = level
        lastLevelTs = r.ts
        distanceAtLastLevel = motion.distanceKm
        fixAtLastLevel = motion.fix
        peakLevel = max(peakLevel, level)

        let found = settled
            ? steps.settled(level, ts: r.ts, ignitionOn: motion.ignition == true, afterGap: afterGap,
                            distanceKm: motion.distanceKm, t)
            : steps.unsettled(level, ts: r.ts, stillUntil: motion.lastStillTs ?? .min, distanceKm: motion.distanceKm, t)
        for s in found { events.append(.transaction(transaction(s))) }
        return events
    }

    /// The end of a finite stream (a test run, a replay): report a change still held open for joining.
    /// A running pipeline never calls this; the next reading reports it.
    public mutating func finish() -> [FuelEvent] {
        steps.finish(thresholds).map { [.transaction(transaction($0))] } ?? []
    }

    /// Litres whichever way the unit reports them; the raw value is kept for exact-repeat checks.
    func fuelLevel(_ r: Reading) -> (raw: Double, litres: Double)? {
        if let l = r.fuelL { return (l, l) }
        if let p = r.fuelPct, let c = capacityL { return (p, p / 100 * c) }
        return nil
    }

    mutating func transaction(_ s: LevelStep) -> FuelTransaction {
        var tx = FuelTransaction(kind: s.up ? .refuel : .drain, vehicleID: vehicleID, startedAt: s.startedAt,
                                 endedAt: s.endedAt, volumeL: s.volume, levelBeforeL: s.levelBefore,
                                 levelAfterL: s.levelAfter, moving: s.moving, odometerKm: motion.odometerKm,
                                 lat: motion.lat, lon: motion.lon)
        tx.road = s.road
        if s.up {
            // Consumption between refuels = level after the last one − level before this one − drains.
            if let d0 = refuelDistanceKm, let l0 = refuelLevelAfter {
                let km = motion.distanceKm - d0
                let used = l0 - s.levelBefore - drainedSinceRefuel
                tx.distanceKm = km
                tx.fuelUsedL = used
                if used > 0 { tx.kmPerL = km / used }
            }
            refuelDistanceKm = motion.distanceKm
            refuelLevelAfter = s.levelAfter
            drainedSinceRefuel = 0
        } else {
            drainedSinceRefuel += s.volume
        }
        return tx
    }
}
