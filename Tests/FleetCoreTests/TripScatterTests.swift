@testable import FleetCore
import Testing

/// A trip's level resting on two or three readings carries the vehicle's usual trip scatter, not the
/// little its own few readings show; and a change across a night of zeros is measured to a level
/// pinned by its own readings.
@Suite struct TripScatterTests {
    /// A 100 L tank: drains from 5 L, slosh allowance 4 L.
    let t = FuelThresholds(capacityL: 100)
    static let minute: Int64 = 60_000

    @Test func learnsOnlyFromTailsThatShowTheirScatter() {
        var s = TripScatter()
        for _ in 0..<5 { s.observe(spread: 9, readings: 4) }
        #expect(s.doubt(spread: 1, readings: 2) == 1, "tails of four readings teach nothing")
        for _ in 0..<3 { s.observe(spread: 6, readings: 9) }
        #expect(s.doubt(spread: 1, readings: 2) == 6)
        #expect(s.doubt(spread: 1, readings: 4) == 6)
        #expect(s.doubt(spread: 7, readings: 3) == 7, "a tail scattering more than usual keeps its own")
        #expect(s.doubt(spread: 1, readings: 5) == 1, "five readings speak for themselves")
        #expect(s.doubt(spread: 0, readings: 1) == 0, "one reading already carries three slosh allowances")
    }

    @Test func aFewStepsDoNotDragTheTypicalScatter() {
        var s = TripScatter()
        for _ in 0..<TripScatter.window { s.observe(spread: 2, readings: 9) }
        s.observe(spread: 40, readings: 9)
        #expect(s.doubt(spread: 0, readings: 2) < 5)
    }

    /// Trips whose readings swing ±`swing` L around 60 L, each ending at a stop of a few calm minutes;
    /// then a trip that ends 40 s after a brief halt (two readings since), the unit reports nothing
    /// overnight, and the morning's level is `morning`.
    func night(swing: Double, morning: Double) -> [LevelStep] {
        var tracker = LevelStepTracker()
        var ts: Int64 = 0
        var km = 0.0
        var steps: [LevelStep] = []
        func drive(_ n: Int, _ level: (Int) -> Double) {
            for i in 0..<n {
                ts += 20_000
                km += 0.3
                steps += tracker.unsettled(level(i), ts: ts, stillUntil: ts - 60_000, distanceKm: km, t)
            }
        }
        func stand(_ level: Double, minutes: Int, afterGap: Bool = false) {
            for i in 0..<minutes {
                ts += Self.minute
                steps += tracker.settled(level, ts: ts, ignitionOn: false, afterGap: afterGap && i == 0, distanceKm: km, t)
            }
        }
        for _ in 0..<4 {
            drive(30) { 60 + ($0.isMultiple(of: 2) ? swing : -swing) }
            stand(60, minutes: 6)
        }
        drive(30) { 60 + ($0.isMultiple(of: 2) ? swing : -swing) }
        stand(60, minutes: 1)
        drive(2) { 60 + Double($0) }
        ts += 10 * 60 * Self.minute
        stand(morning, minutes: 12, afterGap: true)
        drive(10) { _ in morning }
        if let last = tracker.finish(t) { steps.append(last) }
        return steps
    }

    @Test func aSloshingVehiclesTwoReadingTripLevelIsNotATheftsLevelBefore() {
        // Own spread of the two readings: 0.7 L; the vehicle's trips: about 6 L. 15 L below the trip is within
        // what its slosh, the allowance and the minimum explain (5 + 4 + 2 × 6).
        #expect(night(swing: 4, morning: 45).filter { !$0.up }.isEmpty)
    }

    @Test func aCalmVehiclesTheftOvernightIsStillFound() throws {
        let drains = night(swing: 0.3, morning: 45).filter { !$0.up }
        let drain = try #require(drains.first)
        #expect(drains.count == 1 && abs(drain.volume - 15.5) < 0.5)
    }

    @Test func aChangeAcrossTheNightIsMeasuredToTheLevelItsOwnReadingsPin() throws {
        var tracker = LevelStepTracker()
        var ts: Int64 = 0
        var steps: [LevelStep] = []
        for i in 0..<12 {
            ts += 20_000
            steps += tracker.unsettled(60, ts: ts, stillUntil: ts - 60_000, distanceKm: Double(i), t)
        }
        ts += 10 * 60 * Self.minute
        // The probe wakes low and reads its way up to the level over a few minutes.
        for (i, x) in ([40.0, 42, 44, 45] + Array(repeating: 45, count: 12)).enumerated() {
            ts += Self.minute
            steps += tracker.settled(x, ts: ts, ignitionOn: false, afterGap: i == 0, distanceKm: 11, t)
        }
        if let last = tracker.finish(t) { steps.append(last) }
        let drain = try #require(steps.first { !$0.up })
        // Resolved at once (the night counted as the change's age), it was 60 − median(40, 42) = 19 L.
        #expect(abs(drain.volume - 15) < 0.5)
    }
}
