import RealModule

/// What this vehicle burns per kilometre, learned from its own legs between settled stop levels.
///
/// A bound that holds for every road vehicle (0.2 % of the tank per km) lets a 400 L truck lose 80 L
/// on 100 km unseen, though it burns 30. The vehicle's own recent legs say what it really burns and
/// how much that scatters (load, roads, driving, hills, and the level noise at both ends); a leg is
/// then judged against that, with the scatter measured rather than assumed.
public struct ConsumptionModel: Sendable, Equatable, Codable {
    /// Recent legs, oldest first: distance and litres gone (level before − level after, net of idling),
    /// and where each began (the vehicle's distance driven): a leg that begins where the one before ended,
    /// at the same stop, shares that stop's level with it (`chains`).
    var legKm: [Double] = []
    var legL: [Double] = []
    var legFromKm: [Double] = []

    public init() {}

    /// Enough legs for a median and a scatter that one odd leg cannot move.
    static let window = 15
    /// Five legs give a median one odd leg cannot move; how uncertain a median of so few is enters the
    /// expected burn (`rateError`), so a vehicle is judged on its own consumption from its fifth leg
    /// rather than its eighth (the first day's road thefts were missed waiting for legs).
    public static let minLegs = 5
    /// Shorter legs say more about the level noise at their ends than about consumption.
    static let minLegKm = 2.0

    public var isLearned: Bool { legKm.count >= Self.minLegs }

    /// One leg between two settled levels with no fill or reported loss between, from `fromKm` on.
    mutating func learn(km: Double, litres: Double, fromKm: Double) {
        guard km >= Self.minLegKm, litres.isFinite, fromKm.isFinite else { return }
        legKm.append(km)
        legL.append(litres)
        legFromKm.append(fromKm)
        if legKm.count > Self.window {
            legKm.removeFirst()
            legL.removeFirst()
            legFromKm.removeFirst()
        }
    }

    /// What the legs say, under a model with two sources of scatter:
    ///   litres = rate × km + ε,   Var ε = (share × rate × km)² + endpoints²
    /// `share` grows with the road (load, traffic, driving, a trailer on some legs); `endpoints` does not:
    /// each level a leg starts or ends on is off by the tilt of the ground the vehicle stood on, and the
    /// fuel a climb costs is returned on the way down, so what a leg burns depends on its ends' heights.
    /// A road judged across several stops carries its two ends' share once, while a leg's rate carries it
    /// divided by its own km: short legs between stops on slopes say little about the rate, long ones much.
    struct Fit: Equatable {
        var rate: Double
        var rateError: Double
        var share: Double
        var endpoints: Double
        /// How much wider the worst tenth of the legs fall than the fitted model says (≥ 1).
        var widen: Double

        /// The expected burn over `km` and its standard deviation, given the level error of the road's two
        /// ends: the road's share of scatter, its ends' (at least their levels' own error), and the rate's
        /// error times the km, all widened by how far the vehicle's worst legs fall outside the fit. Any
        /// unmodelled source of scatter widens it, and a percentile rather than the median keeps a minority
        /// of heavy legs (a trailer hitched on some, a hill climbed cold) from being averaged away.
        func expected(km: Double, levelError: Double) -> (litres: Double, sigma: Double) {
            let road = share * rate * km
            let ends = max(endpoints, levelError)
            let fromRate = rateError * km
            return (rate * km, widen * (road * road + ends * ends + fromRate * fromRate).squareRoot())
        }
    }

    /// First the scatter: around the legs' rates' median weighted by km (a least-absolute-deviations line
    /// through the origin, which no single leg can carry), the two scatters are fitted by maximum likelihood
    /// over a grid, with Student-t residuals (ν = 4) so one odd leg cannot dominate.
    ///
    /// Then the rate, from chains of legs: legs that follow each other from stop to stop share each inner
    /// stop's level, so over a chain the levels' errors cancel but for its two ends, and litres over km of
    /// the whole chain pins the rate far better than any leg's rate (15 legs of 3–40 km with stops read
    /// ±1.2 L: ±0.005 L/km against ±0.02). A leg far outside the fit (|z| > 3.5: an unseen loss, a fill
    /// too small to report) is left out, which breaks its chain. The rate's error follows from the fitted
    /// scatter of each chain (its legs' road share, one pair of ends), inflated for the scatters being
    /// estimated from the same few legs.
    var fit: Fit? {
        guard isLearned else { return nil }
        let n = legKm.count
        let rates = legKm.indices.map { legL[$0] / legKm[$0] }
        let median = Median.weighted(rates, weights: legKm)
        guard median > 0 else { return nil }
        let deviations = legKm.indices.map { legL[$0] - median * legKm[$0] }
        let scale = max(Median.of(deviations.map(abs)), 1e-6)
        var best = (share: Self.shares[0], endpoints: 0.0)
        var bestLL = -Double.infinity
        for share in Self.shares {
            for f in Self.endpointFactors {
                let endpoints = f * scale
                var ll = 0.0
                for i in legKm.indices {
                    let v = Self.variance(rate: median, km: legKm[i], share: share, endpoints: endpoints)
                    ll -= 0.5 * Double.log(v) + 2.5 * Double.log(onePlus: deviations[i] * deviations[i] / v / 4)
                }
                if ll > bestLL { bestLL = ll; best = (share, endpoints) }
            }
        }
        // A handful of legs may all have been driven alike (no trailer yet, no loaded run): their share is
        // drawn towards what vehicles' consumption commonly varies by from leg to leg, as if that had been
        // seen on `priorLegs` legs, and a vehicle's own legs outweigh it as they come.
        let share = ((Double(n) * best.share * best.share + Self.priorLegs * Self.priorShare * Self.priorShare)
            / (Double(n) + Self.priorLegs)).squareRoot()
        let chosen = (share: share, endpoints: best.endpoints)
        func variance(_ i: Int, _ rate: Double) -> Double {
            Self.variance(rate: rate, km: legKm[i], share: chosen.share, endpoints: chosen.endpoints)
        }
        let kept = legKm.indices.filter { deviations[$0] * deviations[$0] <= Self.outlierZ * Self.outlierZ * variance($0, median) }
        guard kept.count >= Self.minLegs else { return nil }
        var km = 0.0, litres = 0.0, chainsVariance = 0.0
        var roadVariance = 0.0, previous: Int?
        for i in kept {
            if let p = previous, p == i - 1, abs(legFromKm[i] - (legFromKm[p] + legKm[p])) < Self.sameStopKm {
                // Same stop: its level's error cancels between the two legs.
            } else {
                chainsVariance += chosen.endpoints * chosen.endpoints
            }
            let road = chosen.share * median * legKm[i]
            roadVariance += road * road
            km += legKm[i]
            litres += legL[i]
            previous = i
        }
        let rate = litres / km
        guard rate > 0 else { return nil }
        let small = (Double(n) / Double(max(n - 2, 1))).squareRoot()
        let rateError = small * (roadVariance + chainsVariance).squareRoot() / km
        let residuals = legKm.indices.map { legL[$0] - rate * legKm[$0] }
        let variances = legKm.indices.map { variance($0, rate) }
        let z = legKm.indices.map { abs(residuals[$0]) / variances[$0].squareRoot() }.sorted()
        let widen = max(1, z[min(n - 1, Int((0.9 * Double(n)).rounded(.up)) - 1)] / 1.645)
        return Fit(rate: rate, rateError: rateError, share: chosen.share, endpoints: chosen.endpoints, widen: widen)
    }

    /// The road-proportional scatter is at least the nominal 10 %; the endpoints' from none to three times the
    /// legs' median residual.
    static let shares = [0.10, 0.15, 0.2, 0.3, 0.45, 0.7]
    /// Load, a trailer, headwind and traffic move a vehicle's consumption by a fifth from leg to leg.
    static let priorShare = 0.2
    static let priorLegs = 5.0
    /// A leg this many standard deviations off the fit is not ordinary driving.
    static let outlierZ = 3.5
    /// A leg beginning within this of where the last ended began at the same stop (odometer rounding).
    static let sameStopKm = 0.5
    static let endpointFactors = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0]

    static func variance(rate: Double, km: Double, share: Double, endpoints: Double) -> Double {
        let road = share * rate * km
        return max(road * road + endpoints * endpoints, 1e-12)
    }
}
