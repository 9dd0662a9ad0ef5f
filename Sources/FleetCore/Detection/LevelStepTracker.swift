/// Finds refuels and parked drains as steps between settled levels of a stop (Wialon-style settle
/// logic): the level before is the reference held while the level was calm, the level after is the
/// median once it has stopped moving for a join interval. Never the noisy peak or trough.
///
/// Readings taken while driving are not judged (slosh swings several % of the tank); their median at
/// the end of a trip is the reference for the next stop, so a fill or theft hidden behind a gap or a
/// dropout between two stops is still measured, with a slosh allowance.
public struct LevelStepTracker: Sendable, Equatable {
    struct Excursion: Sendable, Equatable {
        var up: Bool
        var before: Double
        var beforeFromTrip: Bool
        var startedAt: Int64
        var lastChangeTs: Int64
        var lastChangeLevel: Double
        var post = LevelBuffer(capacity: 9)
        var ignitionOnMs: Int64 = 0
        var lastTs: Int64
    }

    /// Settled readings of the current stop.
    var still = LevelBuffer(capacity: 5)
    /// The latest readings while not settled (driving, or just stopped).
    var trip = LevelBuffer(capacity: 12)
    var inStop = false
    var ref: Double?
    var refFromTrip = false
    var calmTs: Int64 = 0
    var calmLevel = 0.0
    var calmCount = 0
    var lastSettledTs: Int64 = 0
    var excursion: Excursion?

    public init() {}

    /// Only the last three minutes of driving describe the level at the stop.
    static let tripTailMs: Int64 = 180_000

    /// A settled reading: the vehicle stands still and the surface is flat.
    public mutating func settled(_ x: Double, ts: Int64, ignitionOn: Bool, _ t: FuelThresholds) -> LevelStep? {
        defer { lastSettledTs = ts }
        if !inStop {
            inStop = true
            still.removeAll()
            if let last = trip.lastTime, let prior = trip.median(since: last - Self.tripTailMs) {
                ref = prior
                refFromTrip = true
                calmTs = last
                calmLevel = prior
                calmCount = 0
            }
        }
        still.append(x, at: ts)
        if var e = excursion {
            if ignitionOn { e.ignitionOnMs += ts - e.lastTs }
            e.lastTs = ts
            e.post.append(x, at: ts)
            let level = e.post.median(last: 3)!
            if e.up ? level > e.lastChangeLevel + t.calmBandL : level < e.lastChangeLevel - t.calmBandL {
                // Still filling or draining: the settled level comes later.
                e.lastChangeTs = ts
                e.lastChangeLevel = level
            }
            let quiet = ts - e.lastChangeTs >= t.joinMs && e.post.count >= 3
            if quiet || ts - e.startedAt >= t.maxEventMs { return resolve(e, at: ts, t) }
            excursion = e
            return nil
        }
        guard let r = ref else {
            adopt(x, at: ts, count: 1)
            return nil
        }
        let f = still.median(last: 3)!
        let d = f - r
        if refFromTrip {
            // First settled level after driving: trust it unless it is far off the trip's level.
            if abs(d) < t.triggerL {
                adopt(f, at: ts, count: 1)
                return nil
            }
        } else if abs(d) <= t.calmBandL && abs(x - r) < t.triggerL {
            // Calm: follow slow drift (thermal expansion), fast for the first readings of a stop.
            calmCount += 1
            let alpha = max(1 / Double(calmCount), min(1, Double(ts - calmTs) / Double(t.driftTauMs)))
            ref = r + alpha * (f - r)
            calmTs = ts
            calmLevel = ref!
            return nil
        } else if abs(d) < t.triggerL {
            if ts - calmTs > t.reanchorMs { adopt(f, at: ts, count: 1) }
            return nil
        }
        var e = Excursion(up: d > 0, before: calmLevel, beforeFromTrip: refFromTrip, startedAt: calmTs,
                          lastChangeTs: ts, lastChangeLevel: x, lastTs: ts)
        e.post.append(x, at: ts)
        excursion = e
        return nil
    }

    /// A reading while driving or before the fuel has settled: ends a stop and feeds the trip level.
    public mutating func unsettled(_ x: Double, ts: Int64, _ t: FuelThresholds) -> LevelStep? {
        var out: LevelStep?
        if let e = excursion { out = resolve(e, at: ts, t) }
        if inStop {
            inStop = false
            trip.removeAll()
        }
        trip.append(x, at: ts)
        return out
    }

    mutating func adopt(_ level: Double, at ts: Int64, count: Int) {
        ref = level
        refFromTrip = false
        calmTs = ts
        calmLevel = level
        calmCount = count
    }

    mutating func resolve(_ e: Excursion, at ts: Int64, _ t: FuelThresholds) -> LevelStep? {
        excursion = nil
        let after = e.post.median(last: 5)!
        adopt(after, at: e.post.lastTime ?? ts, count: min(e.post.count, 5))
        let allowance = e.beforeFromTrip ? t.sloshAllowanceL : 0
        if e.up {
            let v = after - e.before
            guard v >= t.refuelMinL + allowance else { return nil }
            return LevelStep(up: true, startedAt: e.startedAt, endedAt: e.lastChangeTs, levelBefore: e.before,
                             levelAfter: after, volume: v)
        }
        let idle = t.idleBurnLph * Double(e.ignitionOnMs) / 3_600_000
        let v = e.before - after - idle
        guard v >= t.drainMinL + allowance else { return nil }
        return LevelStep(up: false, startedAt: e.startedAt, endedAt: e.lastChangeTs, levelBefore: e.before,
                         levelAfter: after, volume: v)
    }
}
