@testable import FleetCore
import SeededRandom
import Testing

/// The expected burn over a road comes with the uncertainty of the rate it was learned from: legs read
/// between stops on slopes say little each, and a long road multiplies whatever error their median has.
@Suite struct ConsumptionModelTests {
    /// Legs of `km` each burning `rate` per km, read with level errors from `noise` (deterministic, zero-mean).
    static func model(rate: Double, km: Double, noise: [Double]) -> ConsumptionModel {
        var m = ConsumptionModel()
        // Legs apart from each other (no stop shared): each level error is the leg's own.
        for (i, e) in noise.enumerated() { m.learn(km: km, litres: rate * km + e, fromKm: Double(i) * 1000) }
        return m
    }

    static let wide: [Double] = [1.4, -1.2, 0.3, -0.6, 1.1, -1.5, 0.8, -0.2, 1.3, -0.9, 0.1, -1.0]

    @Test func aRateLearnedFromScatteredLegsIsLessCertainOverALongRoad() throws {
        let tight = Self.model(rate: 0.08, km: 15, noise: Self.wide.map { $0 / 20 })
        let scattered = Self.model(rate: 0.08, km: 15, noise: Self.wide)
        let t = try #require(tight.fit?.expected(km: 300, levelError: 0.3))
        let s = try #require(scattered.fit?.expected(km: 300, levelError: 0.3))
        #expect(abs(t.litres - 24) < 0.5 && abs(s.litres - 24) < 4)
        // Legs apart from each other, each with its own two ends: the rate is only as good as their
        // scatter over their km, and a 300 km road is uncertain by litres.
        let e = try #require(scattered.fit?.rateError)
        #expect(s.sigma >= e * 300)
        #expect(s.sigma > 4)
        #expect(t.sigma < s.sigma / 2)
    }

    /// 15 legs of 3 to 40 km from stop to stop, each stop's level off by N(0, 1.2 L) (the ground's tilt, the
    /// height climbed since the last), the burn otherwise steady at 8 L/100 km. Over 40 such vehicles:
    /// the rate is within 3 of its own standard errors for nearly all, and a 150 km road is judged to
    /// within a few litres (two ends' error and the rate's), where the legs' rates, scattering by several
    /// times the rate on the short legs, would have made it 10 L or more.
    @Test func scatterAtTheLegsEndsDoesNotGrowWithTheRoad() throws {
        var within = 0
        var sigmas: [Double] = []
        for seed in UInt64(1)...40 {
            var rng = SimRandom(seed: seed)
            var m = ConsumptionModel()
            var offset = rng.normal(0, 1.2)
            var odometer = 0.0
            for _ in 0..<15 {
                let km = rng.uniform(3, 40)
                let next = rng.normal(0, 1.2)
                m.learn(km: km, litres: 0.08 * km + offset - next, fromKm: odometer)
                odometer += km
                offset = next
            }
            let f = try #require(m.fit)
            if abs(f.rate - 0.08) <= 3 * f.rateError { within += 1 }
            sigmas.append(try #require(m.fit?.expected(km: 150, levelError: 0.3)).sigma)
        }
        #expect(within >= 36, "\(within) of 40")
        let median = sigmas.sorted()[20]
        #expect(median < 3.5, "\(sigmas.sorted())")
    }

    @Test func theRatesErrorShrinksWithMoreLegs() throws {
        let few = Self.model(rate: 0.08, km: 15, noise: Array(Self.wide.prefix(8)))
        let many = Self.model(rate: 0.08, km: 15, noise: Array(Self.wide.prefix(8)) + Array(Self.wide.prefix(7)))
        #expect(try #require(many.fit?.rateError) < #require(few.fit?.rateError))
    }

    @Test func nothingIsExpectedBeforeEnoughLegs() {
        let m = Self.model(rate: 0.08, km: 15, noise: Array(Self.wide.prefix(ConsumptionModel.minLegs - 1)))
        #expect(m.fit?.expected(km: 50, levelError: 0.3) == nil)
        #expect(m.fit == nil)
    }
}
