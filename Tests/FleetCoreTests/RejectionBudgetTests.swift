import Testing

@testable import FleetCore

/// The per-vehicle budget of stored refusals: exact per minute, and bounded in memory whatever the
/// number of vehicle ids a flood invents.
@Suite struct RejectionBudgetTests {
    @Test func eachVehicleGetsItsBudgetPerMinute() {
        var b = RejectionBudget(perMinute: 2)
        let allowed = (0..<5).map { _ in b.allows(topic: "fleet/a/fuel", receivedAtMs: 1_000) }
        #expect(allowed == [true, true, false, false, false])
        let other = b.allows(topic: "fleet/b/gps", receivedAtMs: 2_000)
        #expect(other)
        let nextMinute = b.allows(topic: "fleet/a/fuel", receivedAtMs: 60_000)
        #expect(nextMinute, "a new minute, a new budget")
    }

    @Test func malformedTopicsShareOneBudget() {
        var b = RejectionBudget(perMinute: 1)
        let first = b.allows(topic: "junk", receivedAtMs: 0)
        let second = b.allows(topic: "other/junk/x/y", receivedAtMs: 0)
        #expect(first && !second)
    }

    @Test func aZeroBudgetStoresNothing() {
        var b = RejectionBudget(perMinute: 0)
        let stored = b.allows(topic: "fleet/a/fuel", receivedAtMs: 0)
        #expect(!stored)
        #expect(b.tracked == 0)
    }

    @Test func inventedVehicleIdsCannotGrowItBeyondItsBound() {
        var b = RejectionBudget(perMinute: 5, maxTracked: 1_000)
        var stored = 0
        for i in 0..<50_000 where b.allows(topic: "fleet/v\(i)/fuel", receivedAtMs: 0) { stored += 1 }
        #expect(b.tracked == 1_000)
        #expect(stored == 1_000 + 5, "past the bound, the rest share one budget")
        for i in 0..<10 { _ = b.allows(topic: "fleet/v\(i)/fuel", receivedAtMs: 60_000) }
        #expect(b.tracked == 10, "a new minute starts empty")
    }
}
