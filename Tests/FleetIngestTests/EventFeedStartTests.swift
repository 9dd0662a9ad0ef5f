import Testing

@testable import FleetIngest

/// Where `fleetd events --since` starts: a feed position, a time, or a duration ago.
@Suite struct EventFeedStartTests {
    typealias Start = EventFeed.Start
    static let now: Int64 = 1_796_000_000_000

    @Test func eachFormReadsAsWhatItSays() {
        #expect(Start.parse(nil, nowMs: Self.now, latest: 20) == .latest(20))
        #expect(Start.parse("0", nowMs: Self.now, latest: 20) == .afterSeq(0))
        #expect(Start.parse("123456", nowMs: Self.now, latest: 20) == .afterSeq(123_456))
        #expect(Start.parse("2026-11-30T12:00:00Z", nowMs: Self.now, latest: 20) == .at(ms: 1_796_040_000_000))
        #expect(Start.parse("2h", nowMs: Self.now, latest: 20) == .at(ms: Self.now - 7_200_000))
        #expect(Start.parse("7d", nowMs: Self.now, latest: 20) == .at(ms: Self.now - 7 * 86_400_000))
    }

    @Test func anythingElseIsRefused() {
        for text in ["", "yesterday", "-5", "12abc", "2026-13-01T00:00:00Z", "99999999999999999999999"] {
            #expect(Start.parse(text, nowMs: Self.now, latest: 20) == nil, "\(text)")
        }
    }
}
