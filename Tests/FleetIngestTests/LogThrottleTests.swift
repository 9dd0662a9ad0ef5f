import Testing

@testable import FleetIngest

@Suite struct LogThrottleTests {
    @Test func eachTroubleOnceAMinuteAndAgainAtOnceAfterItEnded() {
        var log = LogThrottle()
        let t0 = ContinuousClock.now
        var said: [Bool] = []
        said.append(log.allows("refused", now: t0))
        said.append(log.allows("refused", now: t0 + .seconds(59)))
        said.append(log.allows("unreachable", now: t0 + .seconds(1)))  // another trouble is news
        said.append(log.allows("refused", now: t0 + .seconds(61)))
        log.reset()
        said.append(log.allows("refused", now: t0 + .seconds(62)))  // after it ended, the next one at once
        #expect(said == [true, false, true, true, true])
    }

    @Test func aFloodOfDistinctTextsStaysBounded() {
        var log = LogThrottle(capacity: 10)
        let t0 = ContinuousClock.now
        var allowed = 0
        for i in 0..<1_000 where log.allows("error \(i)", now: t0) { allowed += 1 }
        #expect(allowed == 1_000)
        let recent = log.allows("error 999", now: t0)
        #expect(!recent, "the latest are still remembered")
        let again = log.allows("error 5", now: t0)
        #expect(again, "forgotten once the memory filled: at worst logged again")
    }
}
