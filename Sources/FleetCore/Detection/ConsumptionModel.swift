/// What this vehicle burns per kilometre, learned from its own legs between settled stop levels.
///
/// A bound that holds for every road vehicle (0.2 % of the tank per km) lets a 400 L truck lose 80 L
/// on 100 km unseen, though it burns 30. The vehicle's own recent legs say what it really burns and
/// how much that scatters (load, roads, driving, hills, and the level noise at both ends); a leg is
/// then judged against that, with the scatter measured rather than assumed.
public struct ConsumptionModel: Sendable, Equatable, Codable {
    /// Recent legs, oldest first: distance and litres gone (level before − level after, net of idling).
    var legKm: [Double] = []
    var legL: [Double] = []

    public init() {}

    /// Enough legs for a median and a scatter that one odd leg cannot move.
    static let window = 15
    /// Five legs give a median one odd leg cannot move; how uncertain a median of so few is enters the
    /// expected burn (`rateError`), so a vehicle is judged on its own consumption from its fifth leg
    /// rather than its eighth (the first day's road thefts were missed waiting for legs).
    public static let minLegs = 5
    /// Shorter legs say more about the level noise at their ends than about consumption.
    static let minLegKm = 2.0
    /// Scatter assumed per km before it is measured: 10 % of the rate (road mix, driving style).
    static let nominalScatter = 0.10

    public var isLearned: Bool { legKm.count >= Self.minLegs }

    /// One leg between two settled levels with no fill or reported loss between.
    mutating func learn(km: Double, litres: Double) {
        guard km >= Self.minLegKm, litres.isFinite else { return }
        legKm.append(km)
        legL.append(litres)
        if legKm.count > Self.window {
            legKm.removeFirst()
            legL.removeFirst()
        }
    }

    /// Litres per km: the median of the legs' rates, robust to a leg with an unseen loss in it.
    var rate: Double? { estimate?.rate }

    /// The standard error of `rate`.
    var rateError: Double? { estimate?.error }

    /// The rate and its standard error, from one pass over the legs: a median's error (1.25 σ/√n), σ from
    /// the rates' median absolute deviation. Legs read between stops on slopes scatter widely; a rate
    /// learned from them is itself uncertain, and over a long road that uncertainty outgrows every other.
    private var estimate: (rate: Double, error: Double)? {
        guard isLearned else { return nil }
        let rates = legKm.indices.map { legL[$0] / legKm[$0] }
        let rate = LevelBuffer.median(rates[...])
        let mad = LevelBuffer.median(rates.map { abs($0 - rate) }[...])
        return (rate, 1.2533 * 1.4826 * mad / Double(rates.count).squareRoot())
    }

    /// The expected burn over `km` and its standard deviation, given the level error of the leg's ends.
    /// The scatter is the nominal model (a share of the burn plus the level error) scaled by how far the
    /// vehicle's own legs actually fall from it: their standardised residuals' 90th percentile over a
    /// normal's (1.645), never less than 1. Any unmodelled source of scatter widens it, and a percentile
    /// rather than the median keeps a minority of heavy legs (a trailer hitched on some, a hill climbed
    /// cold) from being averaged away.
    func expected(km: Double, levelError: Double) -> (litres: Double, sigma: Double)? {
        guard let (rate, rateError) = estimate, rate > 0 else { return nil }
        func nominal(_ km: Double) -> Double {
            ((Self.nominalScatter * rate * km) * (Self.nominalScatter * rate * km) + levelError * levelError).squareRoot()
        }
        let z = legKm.indices.map { abs(legL[$0] - rate * legKm[$0]) / nominal(legKm[$0]) }.sorted()
        let k = max(1, z[min(z.count - 1, Int((0.9 * Double(z.count)).rounded(.up)) - 1)] / 1.645)
        let fromRate = rateError * km
        return (rate * km, (k * nominal(km) * k * nominal(km) + fromRate * fromRate).squareRoot())
    }
}
