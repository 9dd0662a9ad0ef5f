@testable import FleetCore
import Testing

/// The expected burn over a road comes with the uncertainty of the rate it was learned from: legs read
/// between stops on slopes say little each, and a long road multiplies whatever error their median has.
@Suite struct ConsumptionModelTests {
    /// Legs of `km` each burning `rate` per km, read with level errors from `noise` (deterministic, zero-mean).
    static func model(rate: Double, km: Double, noise: [Double]) -> ConsumptionModel {
        var m = ConsumptionModel()
        for e in noise { m.learn(km: km, litres: rate * km + e) }
        return m
    }

    static let wide: [Double] = [1.4, -1.2, 0.3, -0.6, 1.1, -1.5, 0.8, -0.2, 1.3, -0.9, 0.1, -1.0]

    @Test func aRateLearnedFromScatteredLegsIsLessCertainOverALongRoad() throws {
        let tight = Self.model(rate: 0.08, km: 15, noise: Self.wide.map { $0 / 20 })
        let scattered = Self.model(rate: 0.08, km: 15, noise: Self.wide)
        let t = try #require(tight.expected(km: 300, levelError: 0.3))
        let s = try #require(scattered.expected(km: 300, levelError: 0.3))
        #expect(abs(t.litres - 24) < 0.5 && abs(s.litres - 24) < 4)
        // The rates scatter by ≈ 0.067 L/km (MAD): their median is ≈ 0.036 L/km uncertain, ≈ 11 L over 300 km,
        // more than the legs' own scatter scaled up (≈ 7 L) says.
        let e = try #require(scattered.rateError)
        #expect(e > 0.025 && e < 0.05)
        #expect(s.sigma >= e * 300)
        #expect(t.sigma < s.sigma / 4)
    }

    @Test func theRatesErrorShrinksWithMoreLegs() throws {
        let few = Self.model(rate: 0.08, km: 15, noise: Array(Self.wide.prefix(8)))
        let many = Self.model(rate: 0.08, km: 15, noise: Array(Self.wide.prefix(8)) + Array(Self.wide.prefix(7)))
        #expect(try #require(many.rateError) < #require(few.rateError))
    }

    @Test func nothingIsExpectedBeforeEnoughLegs() {
        let m = Self.model(rate: 0.08, km: 15, noise: Array(Self.wide.prefix(ConsumptionModel.minLegs - 1)))
        #expect(m.expected(km: 50, levelError: 0.3) == nil)
        #expect(m.rateError == nil)
    }
}
