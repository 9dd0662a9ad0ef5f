/// A stop too short or too sparsely reported to pin a level of its own (fewer than three settled
/// readings): a unit reporting every few minutes may send one reading while the truck stands at the
/// pump. What happened there shows as the trip's level before the stop against the trip's level
/// after it, each a median over minutes of driving, with the vehicle's odometer unchanged between.
struct ShortStop: Sendable, Equatable, Codable {
    /// The trip's level as the stop began, and how many readings it rests on.
    var before: Double
    var beforeReadings: Int
    /// How far the readings behind `before` scattered (slosh, rough road).
    var beforeSpread: Double
    /// How far the trip's last readings sat from `before` (a grade change or braking within the tail).
    var beforeShift = 0.0
    var arrivedTs: Int64
    var arrivedKm: Double
    var leftTs: Int64
    var leftKm: Double
    /// Levels since the departure, on the road or at the next halt.
    var after = LevelBuffer(capacity: 5)

    /// Readings after the departure the level after must rest on, or this long after it.
    static let afterReadings = 5
    static let afterMs: Int64 = 180_000
    /// Shorter halts are traffic: no fill or siphoning takes less (refuels take minutes at the pump).
    static let minStopMs: Int64 = 120_000

    enum Verdict: Equatable {
        /// Too few readings since the departure yet.
        case waiting
        /// Judged: a refuel or a drain at the stop, or nothing.
        case judged(LevelStep?)
    }

    /// One more level after the departure; judged once enough are in. `final`: no more will come to
    /// this stop (another stop begins), so judge on two.
    mutating func judge(_ x: Double?, ts: Int64, noiseSigma: Double, final: Bool = false, _ t: FuelThresholds) -> Verdict {
        if let x { after.append(x, at: ts) }
        let n = after.count
        guard n >= Self.afterReadings || (ts - leftTs >= Self.afterMs && n >= 3) || (final && n >= 2) else { return .waiting }
        // It stood still: more road than odometer rounding is a drive, not a stop.
        guard let level = after.median(), leftKm - arrivedKm <= 0.5, leftTs - arrivedTs >= Self.minStopMs else { return .judged(nil) }
        return .judged(step(to: level, readings: n, spread: after.spread(since: .min),
                            endedAt: leftTs, idleMs: leftTs - arrivedTs, noiseSigma: noiseSigma, t))
    }

    /// What slosh may put in a trip's level: resting on one reading in motion it can sit anywhere in the
    /// slosh (rough roads swing 10 % of the tank and more), on several their median.
    static func sloshAllowance(readings: Int, _ t: FuelThresholds) -> Double {
        t.sloshAllowanceL * (readings < 2 ? 3 : 1)
    }

    /// How far `before` may be off: the slosh a trip's level carries, and twice what the readings behind
    /// it scattered (slosh is correlated over a drive: medians do not average it away) or, when larger,
    /// how far the trip's last readings sat from it (a grade that changed just before the stop: no fill
    /// or theft happens while driving).
    func beforeAllowance(_ t: FuelThresholds) -> Double {
        Self.sloshAllowance(readings: beforeReadings, t) + 2 * max(beforeSpread, beforeShift)
    }

    /// The change from the trip's level before this stop to a level after it (`readings` of them,
    /// scattered by `spread`): a fill or a loss if it clears the minimum, the doubt of the level before
    /// and twice what the readings after scattered (acceleration away from a stop tilts the surface one
    /// way). `idleMs`: how long an engine may have idled in between.
    func step(to level: Double, readings n: Int, spread: Double, endedAt: Int64, idleMs: Int64,
              noiseSigma: Double, _ t: FuelThresholds) -> LevelStep? {
        let up = level > before
        let idle = t.idleBurnLph * Double(idleMs) / 3_600_000
        var s = LevelStep(up: up, startedAt: arrivedTs, endedAt: endedAt, levelBefore: before, levelAfter: level,
                          volume: up ? level - before : before - level - idle)
        s.minVolume = (up ? t.refuelMinL : t.drainMinL) + beforeAllowance(t) + 2 * spread
        s.heldMs = t.drainHoldMs
        s.noiseError = ProbeNoise.stepError(sigma: noiseSigma, before: max(1, min(beforeReadings, 3)), after: min(n, 3))
        return LevelStepTracker.accept(s, t)
    }
}
