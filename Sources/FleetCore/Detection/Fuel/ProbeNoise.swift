/// The vehicle's own probe noise, learned from consecutive settled readings of a stop.
///
/// Fixed thresholds scaled by tank size cannot know that one probe scatters ±0.3 % and another ±1.5 %
/// of the tank; a step between two noisy medians is only a fill or a theft when it stands out of
/// that vehicle's noise. The mean absolute difference of two consecutive readings of a calm level is
/// 2σ/√π (Gaussian), untouched by slow thermal drift.
public struct ProbeNoise: Sendable, Equatable, Codable {
    var meanAbsDiff = 0.0
    var samples = 0

    public init() {}

    /// Readings more than this far apart may straddle something that happened between them.
    static let maxSpacingMs: Int64 = 300_000
    /// Adapts within a few hours of parked readings, yet one wild pair moves it little.
    static let window = 64

    /// One pair of consecutive settled readings. A pair may straddle the start of a fill or theft (the
    /// reading that opens it is seen before it is known to): each difference is capped at three times
    /// the current mean, which a Gaussian pair exceeds in ~2 % of cases, so a step moves the estimate little.
    public mutating func observe(_ x: Double, previous: Double, prior: Double) {
        let cap = 3 * max(meanAbsDiff, prior * 1.128)
        samples = min(samples + 1, Self.window)
        meanAbsDiff += (min(abs(x - previous), cap) - meanAbsDiff) / Double(samples)
    }

    /// σ of one reading; until a few pairs are seen, `prior` (a typical probe for the tank).
    public func sigma(prior: Double) -> Double {
        guard samples >= 8 else { return max(prior, meanAbsDiff / 1.128) }
        return meanAbsDiff / 1.128
    }

    /// Standard error of one level pinned by the median of `readings` readings (√(π/2) ≈ 1.25 the error
    /// of a mean).
    public static func levelError(sigma: Double, readings: Int) -> Double {
        1.25 * sigma / Double(max(readings, 1)).squareRoot()
    }

    /// Standard error of the difference between a level pinned by `before` readings and one pinned by
    /// `after` readings: the two levels' errors in quadrature.
    public static func stepError(sigma: Double, before: Int, after: Int) -> Double {
        let b = levelError(sigma: sigma, readings: before), a = levelError(sigma: sigma, readings: after)
        return (b * b + a * a).squareRoot()
    }
}
