/// Drains on the road, judged between settled levels: slosh makes levels taken while driving useless,
/// but the level where a stop began or ended is good. Fuel gone between two such levels beyond what
/// the vehicle burns over that road (`ConsumptionModel`) and its idling is a leak or a theft.
///
/// The settled levels form a short ledger (each stop's arrival and departure, and the level before a
/// change at a stop), and each new one is judged against every kept one: a loss that began on the
/// road and went on into the next stop, or spans a stop too short to pin a level, is measured whole.
public struct RoadLossLedger: Sendable, Equatable, Codable {
    struct Point: Sendable, Equatable, Codable {
        var level: Double
        /// The level's standard error: the scatter of the readings it rests on (probe noise, or more
        /// where the surface had not quite settled) over their number.
        var error: Double
        var ts: Int64
        var km: Double
        /// Engine-on standing time since the ledger began, at this point.
        var idleMs: Int64
    }

    var points: [Point] = []
    var idleMs: Int64 = 0
    /// A loss found at a level but not yet confirmed. A vehicle standing on a slope reads its tank
    /// tilted, differently at every stop: a loss less than twice its minimum is reported only when a
    /// level taken elsewhere, after more road, still shows it against the same earlier level, and that
    /// earlier level was not itself the odd one (`seenFromBefore`). A theft stays gone; a tilt does not.
    struct Suspect: Sendable, Equatable, Codable {
        var anchor: Point
        var at: Point
    }
    var suspect: Suspect?
    /// Whether the last level still showed fuel missing since the first kept one (beyond 2σ), or no road
    /// covered since: a loss found there may yet go on.
    public internal(set) var lossGoesOn = false
    public internal(set) var consumption = ConsumptionModel()

    public init() {}

    /// Three stops' worth: a loss is measured across at most that much road.
    static let maxPoints = 6

    /// Forget the kept levels: the next is no longer comparable (a gap, a fill or loss at a stop, a frozen probe).
    public mutating func restart() {
        points.removeAll()
        idleMs = 0
        lossGoesOn = false
        suspect = nil
    }

    /// Start afresh from a level just judged (a drain reported there).
    mutating func restart(from p: Point) {
        restart()
        var fresh = p
        fresh.idleMs = 0
        points = [fresh]
    }

    /// The engine ran this long while the vehicle stood (idling burns, no road covered).
    public mutating func standing(ms: Int64) {
        if !points.isEmpty { idleMs += max(ms, 0) }
    }

    /// A settled level: judged against the kept ones, then kept. A loss twice its minimum is reported at
    /// once; a smaller one when the next level elsewhere still shows it. A report restarts the ledger.
    /// `scatter`: σ of one reading there; `readings`: how many the level rests on (each a median).
    public mutating func level(_ x: Double, readings: Int, scatter: Double, ts: Int64, km: Double,
                               _ t: FuelThresholds) -> LevelStep? {
        let here = point(x, readings: readings, scatter: scatter, ts: ts, km: km)
        if let last = points.last, ts <= last.ts { return nil }
        // Fitted once per level: every kept level is judged against the same model.
        let fit = consumption.fit
        if let first = points.first {
            let e = excess(from: first, to: here, fit, t)
            lossGoesOn = here.km - first.km < Self.minKm || e.litres > 2 * e.sigma
        }
        if let confirmed = confirmSuspect(at: here, fit, t) { return confirmed }
        var found: (step: LevelStep, anchor: Point)?
        var sure: LevelStep?
        for a in points {
            guard let s = judge(from: a, to: here, fit, t) else { continue }
            if isSure(s, learned: fit != nil, t), s.volume > sure?.volume ?? 0 { sure = s }
            // The most significant, not the largest: a level further back shows the same loss with the noise
            // of more road, and its larger minimum would then have to be met again to confirm it.
            if s.volume / s.minVolume > found.map({ $0.step.volume / $0.step.minVolume }) ?? 0 { found = (s, a) }
        }
        if let s = sure {
            // Far beyond what a tilted stop explains, from at least one kept level: no need to wait for another.
            restart(from: here)
            return s
        }
        if let f = found {
            if suspect == nil { suspect = Suspect(anchor: f.anchor, at: here) }
        } else if let last = points.last {
            consumption.learn(km: km - last.km, litres: last.level - x - Self.idleBurnL(from: last, to: here, t), fromKm: last.km)
        }
        points.append(here)
        if points.count > Self.maxPoints { points.removeFirst() }
        return nil
    }

    /// The suspect loss judged at a level taken elsewhere, after more road: reported when it still shows
    /// there, dropped when it does not (the level where it was found was off, a slope, not the fuel).
    private mutating func confirmSuspect(at here: Point, _ fit: ConsumptionModel.Fit?, _ t: FuelThresholds) -> LevelStep? {
        guard let s = suspect, here.km - s.at.km >= Self.minKm else { return nil }
        suspect = nil
        guard var confirmed = judge(from: s.anchor, to: here, fit, t),
              seenFromBefore(s.anchor, to: here, minimum: confirmed.minVolume, fit, t) else { return nil }
        // The loss was seen where the suspect was found; unless more went missing since, it ended there (a
        // confirmation the next morning is not when the fuel went), and a loss on the next leg is another one.
        let since = excess(from: s.at, to: here, fit, t)
        if since.litres <= 2 * since.sigma { confirmed.endedAt = s.at.ts }
        restart(from: here)
        return confirmed
    }

    /// The account is about to close (a fill at a stop): the level before the fill, taken elsewhere, still
    /// confirms or drops a suspect loss, as the next kept level would have; nothing else is judged or
    /// learned from it (it is often the trip's level as the vehicle arrived, sloshing).
    public mutating func confirmBeforeClosing(_ x: Double, readings: Int, scatter: Double, ts: Int64, km: Double,
                                              _ t: FuelThresholds) -> LevelStep? {
        guard suspect != nil, let last = points.last, ts > last.ts else { return nil }
        return confirmSuspect(at: point(x, readings: readings, scatter: scatter, ts: ts, km: km), consumption.fit, t)
    }

    private func point(_ x: Double, readings: Int, scatter: Double, ts: Int64, km: Double) -> Point {
        Point(level: x, error: ProbeNoise.levelError(sigma: scatter, readings: readings), ts: ts, km: km, idleMs: idleMs)
    }

    /// Whether a loss from `a` also shows from the kept level before it, taken elsewhere: beyond 2σ of that
    /// longer road, and at least the `minimum` the loss from `a` had to clear. A level read high on a slope
    /// shows a loss to every level after it, and none from the one before; fuel that went missing after
    /// `a` shows from both, whole. Beyond 2σ alone, a level read high between two read low passed (seed 2's
    /// hilly world: five false road losses in 54,000 vehicle-days). With only the bound, the burn from that
    /// earlier level is overstated, so nothing is asked of it.
    func seenFromBefore(_ a: Point, to b: Point, minimum: Double, _ fit: ConsumptionModel.Fit?, _ t: FuelThresholds) -> Bool {
        guard fit != nil, let p = points.last(where: { $0.km <= a.km - Self.minKm && $0.ts < a.ts }) else { return true }
        let e = excess(from: p, to: b, fit, t)
        return e.litres > 2 * e.sigma && e.litres >= minimum
    }

    /// A loss this many times its minimum is reported at once; a smaller one waits for confirmation.
    static let sureMargin = 2.0

    /// Beyond what a tilted stop can explain: the minimum plus what a slope under either level makes two
    /// levels disagree by, and, judged on the vehicle's learned burn, twice the minimum. The learned scatter
    /// describes most stops, but a stop on a steep grade reads a long tank several % off, rarely enough that
    /// the vehicle's legs may not show it. Judged on the bound any vehicle stays under, the minimum already
    /// allows one slope: a second is all a tilt adds (a theft that leaves the tank low is often followed by
    /// a fill before any further stop could confirm it).
    func isSure(_ s: LevelStep, learned: Bool, _ t: FuelThresholds) -> Bool {
        s.volume >= s.minVolume + t.sloshAllowanceL && (!learned || s.volume >= Self.sureMargin * s.minVolume)
    }

    /// Less is odometer rounding at a stop: a change there is the parked detector's to judge.
    static let minKm = 0.5

    /// Idling burns about half the bound `idleBurnLph` sets (≈ 1 % of the tank per hour); its scatter is as large.
    static let idleShare = 0.5

    /// What the engine idling between `a` and `b` burnt.
    static func idleBurnL(from a: Point, to b: Point, _ t: FuelThresholds) -> Double {
        idleShare * t.idleBurnLph * Double(b.idleMs - a.idleMs) / 3_600_000
    }

    /// Fuel gone from `a` to `b` beyond the expected burn, and its standard deviation.
    func excess(from a: Point, to b: Point, _ fit: ConsumptionModel.Fit?, _ t: FuelThresholds) -> (litres: Double, sigma: Double) {
        let e = evidence(from: a, to: b, fit, t).evidence
        return (a.level - b.level - e.expectedBurnL, e.sigmaL)
    }

    func judge(from a: Point, to b: Point, _ fit: ConsumptionModel.Fit?, _ t: FuelThresholds) -> LevelStep? {
        let km = max(b.km - a.km, 0)
        let drop = a.level - b.level
        var (evidence, minVolume) = evidence(from: a, to: b, fit, t)
        let excess = drop - evidence.expectedBurnL
        guard excess >= minVolume, km >= Self.minKm else { return nil }
        evidence.observedDropL = drop
        var s = LevelStep(up: false, startedAt: a.ts, endedAt: b.ts, levelBefore: a.level, levelAfter: b.level,
                          volume: excess, moving: true)
        s.minVolume = minVolume
        s.heldMs = t.drainHoldMs
        s.road = evidence
        return s
    }

    /// What the road and idling from `a` to `b` explain under the vehicle's fitted consumption (nil: not
    /// learned), and the least excess that is a drain.
    func evidence(from a: Point, to b: Point, _ fit: ConsumptionModel.Fit?, _ t: FuelThresholds) -> (evidence: RoadDrainEvidence, minVolume: Double) {
        let km = max(b.km - a.km, 0)
        let levelError = (a.error * a.error + b.error * b.error).squareRoot()
        let evidence: RoadDrainEvidence
        let minVolume: Double
        // Fuel expands and shrinks with the air between the two levels.
        let drift = min(t.thermalDriftLph * Double(b.ts - a.ts) / 3_600_000, t.maxThermalDriftL)
        if let fit {
            let e = fit.expected(km: km, levelError: levelError)
            let idleL = Self.idleBurnL(from: a, to: b, t)
            let sigma = (e.sigma * e.sigma + idleL * idleL + drift * drift).squareRoot()
            evidence = RoadDrainEvidence(distanceKm: km, expectedBurnL: e.litres + idleL, sigmaL: sigma,
                                         learnedLPer100Km: fit.rate * 100, legs: consumption.legKm.count)
            // Beyond what this vehicle plausibly burns, by the significance the parked steps must reach.
            minVolume = max(t.drainMinL, t.stepSignificance * sigma)
        } else {
            // Not learned yet: only beyond the most any vehicle can burn over that road and time (most ranges
            // are 700–1,000 km a tank against the bound's 500, room for hills and loads), and beyond what a
            // slope under either stop and the air's warming can make two stops' levels disagree by.
            let hours = Double(b.ts - a.ts) / 3_600_000
            evidence = RoadDrainEvidence(distanceKm: km, expectedBurnL: t.maxBurnPerKmL * km + t.idleBurnLph * hours,
                                         sigmaL: (levelError * levelError + drift * drift).squareRoot(),
                                         learnedLPer100Km: nil, legs: consumption.legKm.count)
            minVolume = t.drainMinL + t.sloshAllowanceL + drift
        }
        return (evidence, minVolume)
    }
}

/// Why a loss on the road was called a drain: what the vehicle should have burnt, by which model, how sure.
public struct RoadDrainEvidence: Sendable, Equatable, Codable {
    public var distanceKm: Double
    /// Fuel the road and idling explain, and its standard deviation (the volume's error).
    public var expectedBurnL: Double
    public var sigmaL: Double
    /// The vehicle's own consumption, from its last `legs` legs; nil: the bound any vehicle stays under.
    public var learnedLPer100Km: Double?
    public var legs: Int
    public var observedDropL = 0.0
}
