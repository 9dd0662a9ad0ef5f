@testable import FleetCore
import Testing

/// A slow theft read by a noisy probe: the level falls by less than the calm band over a join
/// interval, so the change looks settled minutes before it ends. The drain is measured to the level
/// the stop's calm readings pin once the join interval has passed.
@Suite struct SlowParkedTheftTests {
    /// A truck's 355 L tank: calm band 3.55 L, trigger 5.3 L, drains from 7.1 L.
    let t = FuelThresholds(capacityL: 355)
    static let minute: Int64 = 60_000
    /// A noisy probe's scatter, ±2.5 L (σ ≈ 1.4 L), repeating.
    static let noise: [Double] = [2.0, -1.5, 0.5, -2.5, 1.5, -0.5, 2.5, -2.0, 0.0, 1.0, -1.0]

    /// Parked an hour at 160 L, `litres` siphoned over `minutes`, then an hour at the level after.
    func drains(litres: Double, minutes: Int) -> [LevelStep] {
        var tracker = LevelStepTracker()
        var steps: [LevelStep] = []
        var ts: Int64 = 0
        for i in 0..<10 {
            ts += 20_000
            steps += tracker.unsettled(160, ts: ts, stillUntil: ts - 60_000, distanceKm: Double(i), t)
        }
        var levels = Array(repeating: 160.0, count: 60)
        levels += (1...minutes).map { 160 - litres * Double($0) / Double(minutes) }
        levels += Array(repeating: 160 - litres, count: 60)
        for (i, level) in levels.enumerated() {
            ts += Self.minute
            steps += tracker.settled(level + Self.noise[i % Self.noise.count], ts: ts, ignitionOn: false, afterGap: false,
                                     distanceKm: 10, t)
        }
        if let last = tracker.finish(t) { steps.append(last) }
        return steps.filter { !$0.up }
    }

    @Test func aTheftIsMeasuredToTheLevelTheStopPinsAfterIt() throws {
        // Five readings of this probe put the level after 1.6 L off; the calm level the stop pins over the
        // join interval that follows, within 0.6 L.
        let found = drains(litres: 20, minutes: 3)
        let drain = try #require(found.first)
        #expect(found.count == 1 && abs(drain.volume - 20) < 0.6, "measured \(drain.volume) L of 20")
    }

    @Test(arguments: [(8.5, 20), (9.0, 25)])
    func aSlowTheftIsOneDrain(litres: Double, minutes: Int) throws {
        let found = drains(litres: litres, minutes: minutes)
        let drain = try #require(found.first)
        #expect(found.count == 1 && abs(drain.volume - litres) < 1.5, "measured \(drain.volume) L of \(litres)")
    }

    /// Slower still (0.33 L/min under ±2.5 L of noise), the change is judged settled five minutes after it
    /// first shows, measured short of the minimum, and what follows never leaves the calm band far enough to
    /// start another: nothing is reported. Telling a continuing fall from noise needs a longer look than
    /// the few readings a change keeps (a trend over the stop's readings); not built yet.
    @Test func aVerySlowTheftUnderHeavyNoiseIsNotFoundYet() {
        withKnownIssue {
            #expect(drains(litres: 10, minutes: 30).count == 1)
        }
    }
}
