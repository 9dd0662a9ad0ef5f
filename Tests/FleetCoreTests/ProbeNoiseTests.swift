import FleetCore
import SeededRandom
import Testing

/// The probe-noise estimate behind the significance test of fills and drains.
@Suite struct ProbeNoiseTests {
    @Test(arguments: [0.2, 1.0, 3.0], [UInt64(1), 2, 3])
    func learnsTheProbesOwnScatter(sigma: Double, seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var noise = ProbeNoise()
        let level = 120.0
        var previous = level + rng.normal(0, sigma)
        for _ in 0..<400 {
            let x = level + rng.normal(0, sigma)
            noise.observe(x, previous: previous, prior: 0.5)
            previous = x
        }
        let estimate = noise.sigma(prior: 0.5)
        #expect(abs(estimate - sigma) / sigma < 0.3, "σ \(sigma): estimated \(estimate)")
    }

    @Test func aStepInTheStreamBarelyMovesIt() {
        var rng = SimRandom(seed: 7)
        var noise = ProbeNoise()
        var previous = 50.0
        for i in 0..<200 {
            // A 60 L fill between two readings halfway through.
            let x = (i < 100 ? 50.0 : 110.0) + rng.normal(0, 0.5)
            noise.observe(x, previous: previous, prior: 0.4)
            previous = x
        }
        #expect(noise.sigma(prior: 0.4) < 0.75)
    }

    @Test func untilLearnedThePriorIsAFloor() {
        var noise = ProbeNoise()
        noise.observe(10, previous: 10, prior: 1)
        #expect(noise.sigma(prior: 1) == 1)
    }

    @Test func moreReadingsOnEitherSideShrinkTheError() {
        let few = ProbeNoise.stepError(sigma: 2, before: 3, after: 5)
        let many = ProbeNoise.stepError(sigma: 2, before: 30, after: 5)
        #expect(many < few)
        #expect(ProbeNoise.stepError(sigma: 0, before: 1, after: 1) == 0)
    }
}
