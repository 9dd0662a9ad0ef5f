/// The per-vehicle fuel detector: feed it the vehicle's merged readings in device-time order, get
/// back refuels, drains and fuel-sensor flags.
///
/// A value: the pipeline keeps one per vehicle, persists it with the batch that changed it and
/// reloads it at start. It reads no clock; time is the readings' device time. Its memory is bounded
/// (a few small rings) however long it runs.
public struct FuelDetector: Sendable, Equatable {
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
    var peakLevel = 0.0
    var refuelDistanceKm: Double?
    var refuelLevelAfter: Double?
    var drainedSinceRefuel = 0.0

    public init(vehicleID: String, capacityL: Double?, overrides: FuelThresholdOverrides = FuelThresholdOverrides()) {
        self.vehicleID = vehicleID
        self.capacityL = capacityL
        self.overrides = overrides
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
        if let a = stuck.observe(raw: raw, ts: r.ts, distanceKm: motion.distanceKm, litres: level, t, vehicleID: vehicleID) {
            events.append(.anomaly(a))
        }
        let (inDropout, flag) = dropout.observe(level: level, ts: r.ts, lastLevel: lastLevel, t, vehicleID: vehicleID)
        if let f = flag { events.append(.anomaly(f)) }
        guard !inDropout else { return events }
        lastLevel = level
        peakLevel = max(peakLevel, level)

        let step = motion.isSettled(at: r.ts, t)
            ? steps.settled(level, ts: r.ts, ignitionOn: motion.ignition == true, t)
            : steps.unsettled(level, ts: r.ts, t)
        if let s = step { events.append(.transaction(transaction(s))) }
        return events
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
                                 levelAfterL: s.levelAfter, moving: false, odometerKm: motion.odometerKm,
                                 lat: motion.lat, lon: motion.lon)
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
