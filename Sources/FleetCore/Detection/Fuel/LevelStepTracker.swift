/// Finds refuels and parked drains as steps between settled levels of a stop (Wialon-style settle
/// logic): the level before is the reference held while the level was calm, the level after is the
/// median once it has stopped moving for a join interval. Never the noisy peak or trough.
///
/// Readings taken while driving are not judged (slosh swings several % of the tank); their median at
/// the end of a trip is the reference for the next stop, so a fill or theft hidden behind a gap or a
/// dropout between two stops is still measured, with a slosh allowance.
///
/// States: between stops (`stop` nil), readings feed the trip. The first settled reading opens a
/// `Stop`; its `reference` is the trip's level after a gap, else the first settled level, and calm
/// readings pin it (three put the stop's level into the road's ledger). A median beyond the trigger
/// starts an `Excursion`, which resolves into a candidate step once the level is quiet again (or the
/// vehicle drives off); the level after becomes the reference. Driving off closes the stop, leaving
/// it to be judged from the trips around it when it could not judge a change itself.
public struct LevelStepTracker: Sendable, Equatable, Codable {
    /// The stop the vehicle stands at, once a settled reading began it; nil between stops (driving, or
    /// stopped with the fuel still moving). What a stop knows ends with it.
    var stop: Stop?
    /// The latest readings while not settled (driving, or just stopped).
    var trip = LevelBuffer(capacity: 12)
    var lastSettledTs: Int64 = 0
    /// The last stop, to be judged from the trips on both sides once the one after it is long enough.
    var shortStop: ShortStop?
    public internal(set) var road = RoadLossLedger()
    var pending: LevelStep?
    /// When the pending step was closed: the join interval runs from there.
    var pendingAt: Int64 = 0
    var noise = ProbeNoise()
    var tripScatter = TripScatter()

    public init() {}

    /// Afresh after a frozen probe thawed, keeping what was learned of the vehicle (its consumption).
    init(keepingConsumptionOf old: LevelStepTracker) {
        road.consumption = old.road.consumption
        tripScatter = old.tripScatter
    }

    /// How many readings a calm reference averages at most: it follows drift over `driftTauMs`.
    static let maxBeforeCount = 30

    /// Only the last three minutes of driving describe the level at the stop.
    static let tripTailMs: Int64 = 180_000

    /// The level at the end of the trip so far (median of its last minutes), if any.
    public var tripLevel: Double? {
        trip.lastTime.flatMap { trip.median(since: $0 - Self.tripTailMs) }
    }

    /// How many readings `tripLevel` rests on.
    var tripLevelReadings: Int {
        trip.lastTime.map { trip.count(since: $0 - Self.tripTailMs) } ?? 0
    }

    /// A settled reading: the vehicle stands still and the surface is flat. `afterGap`: readings were
    /// missing just before (a dropout, zeros with the ignition off, an outage), so something may have
    /// happened unseen since the last level.
    public mutating func settled(_ x: Double, ts: Int64, ignitionOn: Bool, afterGap: Bool, distanceKm: Double,
                                 _ t: FuelThresholds) -> [LevelStep] {
        let a = flush(at: ts, t)
        let b = settledStep(x, ts: ts, ignitionOn: ignitionOn, afterGap: afterGap, distanceKm: distanceKm, t)
        return [a, b, judgeShortStop(x, ts: ts, t)].compactMap { $0 }
    }

    mutating func settledStep(_ x: Double, ts: Int64, ignitionOn: Bool, afterGap: Bool, distanceKm: Double,
                              _ t: FuelThresholds) -> LevelStep? {
        defer { lastSettledTs = ts }
        if stop != nil, ignitionOn, ts - lastSettledTs <= ProbeNoise.maxSpacingMs { road.standing(ms: ts - lastSettledTs) }
        if stop == nil { arrive(afterGap: afterGap, at: ts, distanceKm: distanceKm) }
        if stop!.excursion == nil, let prev = stop!.still.levels.last, let pt = stop!.still.lastTime, ts - pt <= ProbeNoise.maxSpacingMs {
            noise.observe(x, previous: prev, prior: t.priorNoiseL)
        }
        stop!.still.append(x, at: ts)
        if var e = stop!.excursion {
            if ignitionOn { e.ignitionOnMs += ts - e.lastTs } else { e.ignitionOffSeen = true }
            e.lastTs = ts
            e.post.append(x, at: ts)
            let level = e.post.median(last: 3)!
            if e.up ? level > e.lastChangeLevel + t.calmBandL : level < e.lastChangeLevel - t.calmBandL {
                // Still filling or draining: the settled level comes later.
                e.lastChangeTs = ts
                e.lastChangeLevel = level
            }
            // Settled: no step for a join interval, and the oldest and newest readings kept agree (a slow
            // drain keeps them apart even when no single step stands out of the noise).
            let quiet = ts - e.lastChangeTs >= t.joinMs && e.post.count >= 3
                && abs(level - Median.of(e.post.levels.prefix(3))) <= t.calmBandL
            // Timed from when the change was first seen: across a night of zeros the level before is hours
            // old, and the level after still needs its own readings.
            let timedOut = ts - e.leftTs >= t.maxEventMs
            if quiet || timedOut {
                // A loss that barely clears the noise on the few readings after it waits until a full ring of
                // readings after its last change pins the level: five readings of a noisy probe sit 3σ low
                // often enough over a fleet's stops, nine far more seldom. A clear loss is reported at once.
                guard !e.up, isMarginal(e, t) else { return resolve(e, at: ts, t) }
                if timedOut || e.post.count(since: e.lastChangeTs) >= e.post.capacity {
                    return resolve(e, at: ts, t, afterReadings: e.post.capacity)
                }
            }
            stop!.excursion = e
            return nil
        }
        guard let r = stop!.reference else {
            adopt(x, at: ts, count: 1)
            return nil
        }
        let f = stop!.still.median(last: 3)!
        let d = f - r.level
        if r.fromTrip {
            // First settled level after driving: trust it unless it is far off the trip's level.
            if abs(d) < t.triggerL {
                adopt(f, at: ts, count: 1)
                return nil
            }
        } else if abs(d) <= t.calmBandL && abs(x - r.level) < t.triggerL {
            // Calm: follow slow drift (thermal expansion), fast for the first readings of a stop.
            let readings = r.readings + 1
            let alpha = max(1 / Double(readings), min(1, Double(ts - r.ts) / Double(t.driftTauMs)))
            let level = r.level + alpha * (f - r.level)
            stop!.reference = Reference(level: level, ts: ts, readings: readings, fromTrip: false)
            // Three calm readings pin the stop's level: judge the road that led here, and whether the tank
            // was filled before the stop's first settled reading.
            if readings >= 3, !stop!.inLedger, ts - stop!.arrivedTs >= ShortStop.minStopMs {
                stop!.inLedger = true
                if let fill = fillBeforeArrival(level: level, readings: readings, at: ts, t) {
                    stop!.judged = true
                    road.restart()
                    let displaced = propose(fill, at: ts, t)
                    // The first level of a fresh account: nothing to judge it against.
                    _ = roadLevel(level, readings: readings, ts: ts, t)
                    return displaced
                }
                return roadLevel(level, readings: readings, ts: ts, t)
            }
            return nil
        } else if abs(d) < t.triggerL {
            if ts - r.ts > t.reanchorMs { adopt(f, at: ts, count: 1) }
            return nil
        }
        if d < 0, !r.fromTrip, r.readings < 3 {
            // One or two readings do not pin a level to drain precision (full probe noise each): a drop
            // this early in a stop re-anchors on the stop's median instead of starting a drain.
            adopt(stop!.still.median()!, at: ts, count: stop!.still.count)
            return nil
        }
        var e = Excursion(up: d > 0, before: r.level, beforeFromTrip: r.fromTrip, startedAt: r.ts,
                          lastChangeTs: ts, lastChangeLevel: f, leftTs: ts, lastTs: ts, ignitionOffSeen: !ignitionOn,
                          beforeCount: min(max(r.readings, 1), Self.maxBeforeCount))
        if e.up, !r.fromTrip, r.readings <= 1, let p = stop!.prior, p < r.level - t.calmBandL {
            // The stop's first settled reading was already part of the fill (it began within a minute of
            // stopping): the level before is the trip's, with its slosh allowance.
            e.before = p
            e.beforeFromTrip = true
        }
        // The level before a change at a stop closes the road's account: a loss that began on the road and
        // goes on here is measured to this point, and joins the parked part.
        let before = !r.fromTrip && r.readings >= 2 && r.ts - stop!.arrivedTs >= ShortStop.minStopMs
            ? roadLevel(r.level, readings: r.readings, ts: r.ts, t) : nil
        // Readings since the last calm one already belong to the new level (a jump can first show as a
        // lone outlier the median ignores).
        let still = stop!.still
        for i in 0..<still.count where still.times[i] > r.ts && still.times[i] < ts {
            e.post.append(still.levels[i], at: still.times[i])
        }
        e.post.append(x, at: ts)
        stop!.excursion = e
        return before
    }

    /// A stop begins with its first settled reading. After a gap where the vehicle stayed put (a unit that
    /// reports zeros while parked, an outage) the road's account stays open: the level after it is still
    /// comparable, and for such a unit the only settled levels are those it reports awake before driving
    /// off. The stop is then judged against the trip's level, since a fill or theft may hide in the gap
    /// (found, it closes the account); a move unseen already closed it.
    mutating func arrive(afterGap: Bool, at ts: Int64, distanceKm: Double) {
        let prior = tripLevel
        let readings = tripLevelReadings
        let spread = trip.lastTime.map { trip.spread(since: $0 - Self.tripTailMs) } ?? 0
        tripScatter.observe(spread: spread, readings: readings)
        var s = Stop(arrivedTs: trip.lastTime ?? ts, arrivedKm: distanceKm, prior: prior, priorReadings: readings,
                     priorSpread: tripScatter.doubt(spread: spread, readings: readings),
                     priorShift: prior.flatMap { p in trip.median(last: 3).map { abs(p - $0) } } ?? 0)
        if afterGap, let prior, let last = trip.lastTime {
            s.reference = Reference(level: prior, ts: last, readings: 0, fromTrip: true)
        }
        // An ordinary arrival has no reference yet: the first settled reading is the stop's level.
        stop = s
    }

    /// The vehicle drove while no level was seen (an outage, readings kept from the detectors): the
    /// stop's level and the trip's are no longer comparable with what comes next.
    public mutating func movedUnseen() {
        stop = nil
        shortStop = nil
        trip.removeAll()
        road.restart()
    }

    /// A reading while driving or before the fuel has settled: ends a stop and feeds the trip level.
    /// `stillUntil`: the last report that the vehicle stood still; readings after it may already slosh
    /// (a GPS on another channel reports the start up to a period late).
    public mutating func unsettled(_ x: Double, ts: Int64, stillUntil: Int64, distanceKm: Double,
                                   _ t: FuelThresholds) -> [LevelStep] {
        let a = flush(at: ts, t)
        let b = unsettledStep(x, ts: ts, stillUntil: stillUntil, distanceKm: distanceKm, t)
        return ([a] + b + [judgeShortStop(x, ts: ts, t)]).compactMap { $0 }
    }

    mutating func unsettledStep(_ x: Double, ts: Int64, stillUntil: Int64, distanceKm: Double,
                                _ t: FuelThresholds) -> [LevelStep?] {
        var out: LevelStep?
        var departure: LevelStep?
        var earlier: LevelStep?
        if var e = stop?.excursion {
            var post = LevelBuffer(capacity: e.post.capacity)
            for i in 0..<e.post.count where e.post.times[i] <= stillUntil {
                post.append(e.post.levels[i], at: e.post.times[i])
            }
            e.post = post
            // Two clean settled readings at least, or the change cannot be judged here.
            if e.post.count >= 2 {
                out = resolve(e, at: ts, t)
            } else {
                stop!.excursion = nil
                stop!.unjudgedChange = true
            }
        }
        if let s = stop {
            // Too few settled readings to judge a change itself: judged from the trips around it.
            if !s.judged, s.still.count < 3 || s.unjudgedChange, let left = s.asShortStop(leftTs: ts, leftKm: distanceKm) {
                // A stop still waiting for its levels after (a halt at a station's exit a minute after the
                // pump) is judged on what it has before this one takes its place.
                if var waiting = shortStop, case .judged(let step) = waiting.judge(nil, ts: ts, noiseSigma: noise.sigma(prior: t.priorNoiseL),
                                                                                  final: true, t) {
                    earlier = step
                }
                shortStop = left
            }
            trip.removeAll()
            // The stop's level as it is left, if it had one of its own; a stop without one leaves the
            // road's account open across it.
            if let r = s.reference, !r.fromTrip, r.readings >= 2, r.ts - s.arrivedTs >= ShortStop.minStopMs {
                departure = roadLevel(r.level, readings: min(r.readings, Self.maxBeforeCount), ts: r.ts, t)
            }
            stop = nil
        }
        trip.append(x, at: ts)
        return [earlier, out, departure]
    }

    /// A fill finished between the trip's last reading and the stop's first settled one (a unit that
    /// reports every few minutes when parked sees the tank full at once): the stop's pinned level
    /// against the trip's, judged as a short stop's would be. A loss there is the road ledger's and
    /// the parked detector's: judged this way (tried), it cost more parked and road drains' accuracy
    /// than it found at short stops.
    func fillBeforeArrival(level: Double, readings: Int, at ts: Int64, _ t: FuelThresholds) -> LevelStep? {
        guard let s = stop,
              let step = s.asShortStop(leftTs: ts, leftKm: s.arrivedKm)?.step(
                  to: level, readings: readings, spread: s.still.spread(since: .min), endedAt: s.still.times.first ?? ts,
                  idleMs: 0, noiseSigma: noise.sigma(prior: t.priorNoiseL), t),
              step.up else { return nil }
        return step
    }

    /// Feeds a level after a short stop's departure; the stop's step once judged.
    mutating func judgeShortStop(_ x: Double, ts: Int64, _ t: FuelThresholds) -> LevelStep? {
        guard var stop = shortStop, ts >= stop.leftTs else { return nil }
        switch stop.judge(x, ts: ts, noiseSigma: noise.sigma(prior: t.priorNoiseL), t) {
        case .waiting:
            shortStop = stop
            return nil
        case .judged(let step):
            shortStop = nil
            return step
        }
    }

    mutating func adopt(_ level: Double, at ts: Int64, count: Int) {
        stop?.reference = Reference(level: level, ts: ts, readings: count, fromTrip: false)
    }

    /// Closes an excursion into a candidate step (`propose`).
    /// Significant on the level before and the last five readings, but within `confirmSignificance` of
    /// their noise. A loss that is not significant there is dismissed as before: waiting for more readings
    /// only to report what five would have dismissed would give the noise a second chance.
    func isMarginal(_ e: Excursion, _ t: FuelThresholds) -> Bool {
        guard let after = e.post.median(last: Self.afterReadings) else { return false }
        let error = stepError(e, afterReadings: Self.afterReadings, t)
        let volume = e.before - after
        return volume >= t.stepSignificance * error && volume < Self.confirmSignificance * error
    }

    /// The noise of the step from the level before an excursion to the median of its last `afterReadings`.
    func stepError(_ e: Excursion, afterReadings: Int, _ t: FuelThresholds) -> Double {
        ProbeNoise.stepError(sigma: noise.sigma(prior: t.priorNoiseL), before: e.beforeFromTrip ? 3 : e.beforeCount,
                             after: min(e.post.count, afterReadings))
    }

    /// The level after a change: the median of its last readings.
    static let afterReadings = 5
    /// A loss this many standard errors beyond the noise needs no more readings to be sure of.
    static let confirmSignificance = 6.0

    mutating func resolve(_ e: Excursion, at ts: Int64, _ t: FuelThresholds, afterReadings: Int = afterReadings) -> LevelStep? {
        stop?.excursion = nil
        stop?.judged = true
        let after = e.post.median(last: afterReadings)!
        adopt(after, at: e.post.lastTime ?? ts, count: min(e.post.count, afterReadings))
        // A level before taken from the trip (the stop's prior: an excursion never outlives its stop) carries
        // slosh; a loss must also clear where the trip's level stood as it stopped (fills are judged on the
        // slosh alone, as before).
        let tripStop = e.beforeFromTrip ? stop.flatMap { $0.asShortStop(leftTs: ts, leftKm: $0.arrivedKm) } : nil
        let allowance = tripStop.map { e.up ? ShortStop.sloshAllowance(readings: $0.beforeReadings, t) : $0.beforeAllowance(t) } ?? 0
        let idle = t.idleBurnLph * Double(e.ignitionOnMs) / 3_600_000
        var c = LevelStep(up: e.up, startedAt: e.startedAt, endedAt: e.lastChangeTs, levelBefore: e.before,
                          levelAfter: after, volume: e.up ? after - e.before : e.before - after - idle)
        c.minVolume = (e.up ? t.refuelMinL : t.drainMinL) + allowance
        // How long the level stayed away from the level before (the ring of readings keeps only the last
        // minute and a half at 10 s: an idling theft that ended minutes ago has held).
        c.heldMs = (e.post.lastTime ?? ts) - min(e.leftTs, e.post.times.first ?? ts)
        c.noiseError = stepError(e, afterReadings: afterReadings, t)
        // Only a drop seen with the engine running all along, within a stop, needs to prove it holds: across
        // a gap (zeros overnight) or with the ignition off it is no red-light dip.
        if e.beforeFromTrip || e.ignitionOffSeen { c.heldMs = max(c.heldMs, t.drainHoldMs) }
        // A fill, or a loss reported here, closes the road's account; a dip judged noise does not. The level
        // before a fill may first confirm a loss on the road waiting for a level taken elsewhere (a fill begun
        // as the vehicle stood leaves no other).
        if c.up || Self.accept(c, t) != nil {
            if c.up, pending == nil, let loss = roadLossConfirmed(before: e, tripStop: tripStop, t) { _ = propose(loss, at: ts, t) }
            road.restart()
        }
        return propose(c, at: ts, t)
    }

    /// The level before an excursion, for the road ledger's suspect: the trip's as the vehicle arrived
    /// (with its scatter and the shift of its last readings), or the stop's calm level.
    mutating func roadLossConfirmed(before e: Excursion, tripStop: ShortStop?, _ t: FuelThresholds) -> LevelStep? {
        guard let stop else { return nil }
        let noiseSigma = noise.sigma(prior: t.priorNoiseL)
        if e.beforeFromTrip {
            guard let trip = tripStop else { return nil }
            return road.confirmBeforeClosing(e.before, readings: max(trip.beforeReadings, 1), scatter: max(noiseSigma, trip.beforeSpread + trip.beforeShift),
                                             ts: e.startedAt, km: stop.arrivedKm, t)
        }
        return road.confirmBeforeClosing(e.before, readings: e.beforeCount, scatter: levelScatter(stop, through: e.startedAt, t),
                                         ts: e.startedAt, km: stop.arrivedKm, t)
    }

    /// How far one reading of a level a stop pinned by `ts` may sit off: the probe's noise, or more where the
    /// surface had not quite settled. Only the readings the level rests on: those after it may already be the
    /// fill or theft that ends it.
    func levelScatter(_ stop: Stop, through ts: Int64, _ t: FuelThresholds) -> Double {
        max(noise.sigma(prior: t.priorNoiseL), stop.still.spread(since: .min, through: ts))
    }

    /// A settled level for the road ledger; a loss it finds is proposed like a step at a stop.
    mutating func roadLevel(_ level: Double, readings: Int, ts: Int64, _ t: FuelThresholds) -> LevelStep? {
        guard let stop else { return nil }
        guard let s = road.level(level, readings: readings, scatter: levelScatter(stop, through: ts, t), ts: ts, km: stop.arrivedKm, t) else {
            // The road's loss did not go on over the next leg: report it.
            guard let p = pending, p.moving, p.endedAt < ts, stop.excursion == nil, !road.lossGoesOn else { return nil }
            pending = nil
            return Self.accept(p, t)
        }
        return propose(s, at: ts, t)
    }

    /// A candidate step; steps of one direction within the join interval are one event (a fill with nozzle
    /// pauses, a drain the noise split, a theft begun on the road and finished at the stop), judged on the
    /// joined volume. Returns the step this one displaces, once accepted.
    mutating func propose(_ c: LevelStep, at ts: Int64, _ t: FuelThresholds) -> LevelStep? {
        // A loss on the road stays open until the next settled level: a theft over two legs is one theft. It
        // joins what begins where it ended, not what begins soon after it was confirmed (a loss seen last
        // night and confirmed this morning is not the one on this morning's road).
        if var p = pending, p.up == c.up, p.moving ? c.startedAt - p.endedAt <= t.joinMs : c.startedAt - pendingAt <= t.joinMs {
            p.endedAt = max(p.endedAt, c.endedAt)
            p.levelAfter = c.levelAfter
            p.volume += c.volume
            p.minVolume = max(p.minVolume, c.minVolume)
            p.heldMs = max(p.heldMs, c.heldMs)
            p.moving = p.moving || c.moving
            p.road = p.road ?? c.road
            // Conservative: the shared middle level is counted in both errors.
            p.noiseError = (p.noiseError * p.noiseError + c.noiseError * c.noiseError).squareRoot()
            pending = p
            pendingAt = ts
            return nil
        }
        let out = pending.flatMap { Self.accept($0, t) }
        pending = c
        pendingAt = ts
        return out
    }

    /// Reports the pending step once no further step can join it.
    mutating func flush(at ts: Int64, _ t: FuelThresholds) -> LevelStep? {
        guard let p = pending, stop?.excursion == nil, ts - pendingAt > (p.moving ? t.maxEventMs : t.joinMs) else { return nil }
        pending = nil
        return Self.accept(measuredToSettledLevel(p), t)
    }

    /// A parked loss waits out the join interval at the stop where it happened, and the stop's calm level
    /// since, pinned by more readings than the few it was first measured to, is where it ended: a slow
    /// theft read by a noisy probe looks quiet (less than the calm band over a join interval) minutes
    /// before it ends. The level after is then that calm level, whichever side of the first it lies.
    func measuredToSettledLevel(_ p: LevelStep) -> LevelStep {
        guard !p.up, !p.moving, let s = stop, s.excursion == nil, p.endedAt >= s.arrivedTs, let r = s.reference,
              !r.fromTrip, r.ts > p.endedAt, r.readings >= 2 * Self.afterReadings else { return p }
        var q = p
        q.volume += q.levelAfter - r.level
        q.levelAfter = r.level
        return q
    }

    /// The end of a finite stream: report what is pending.
    public mutating func finish(_ t: FuelThresholds) -> LevelStep? {
        defer { pending = nil }
        return pending.flatMap { Self.accept(measuredToSettledLevel($0), t) }
    }

    static func accept(_ s: LevelStep, _ t: FuelThresholds) -> LevelStep? {
        guard s.volume >= s.minVolume, s.volume >= t.stepSignificance * s.noiseError,
              s.up || s.heldMs >= t.drainHoldMs else { return nil }
        return s
    }
}
