@testable import FleetCore
import Testing

@Suite struct LevelBufferTests {
    /// A stop's level rests on the readings up to it: the fill's first readings after it are not its scatter
    /// (two calm readings and two of a fill put the median between them, ±15 L).
    @Test func spreadThroughLeavesOutLaterReadings() {
        var b = LevelBuffer(capacity: 8)
        for (i, x) in [40.1, 39.9, 60.0, 75.0].enumerated() { b.append(x, at: Int64(i) * 90_000) }
        #expect(b.spread(since: .min, through: 90_000) < 0.2)
        #expect(b.spread(since: .min) > 10)
    }

    /// Fewer than two readings have no spread.
    @Test func oneReadingHasNoSpread() {
        var b = LevelBuffer(capacity: 4)
        b.append(10, at: 0)
        b.append(50, at: 60_000)
        #expect(b.spread(since: .min, through: 0) == 0)
    }
}
