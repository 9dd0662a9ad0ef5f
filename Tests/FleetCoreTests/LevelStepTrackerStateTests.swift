@testable import FleetCore
import Testing

/// The step tracker's states, one transition each: between stops, a stop opened by its first settled
/// reading, its reference pinned by calm readings, a change under way, the change resolved, the stop
/// closed by driving off or by a move nobody saw.
@Suite struct LevelStepTrackerStateTests {
    /// A 100 L tank: trigger 1.5 L, calm band 1 L, drains from 5 L, refuels from 5 L.
    let t = FuelThresholds(capacityL: 100)
    static let minute: Int64 = 60_000

    /// Drives 10 minutes at `level` (one reading a minute) ending at `end`, then stands.
    func driven(level: Double = 60, until end: Int64 = 10 * minute) -> LevelStepTracker {
        var tracker = LevelStepTracker()
        for i in 1...10 {
            _ = tracker.unsettled(level, ts: end - Int64(10 - i) * Self.minute, stillUntil: 0, distanceKm: Double(i), t)
        }
        return tracker
    }

    @Test func drivingKeepsNoStop() {
        let tracker = driven()
        #expect(tracker.stop == nil)
        #expect(tracker.tripLevel == 60)
    }

    @Test func theFirstSettledReadingOpensAStopWhoseLevelIsThatReading() throws {
        var tracker = driven()
        _ = tracker.settled(59.8, ts: 11 * Self.minute, ignitionOn: false, afterGap: false, distanceKm: 10, t)
        let stop = try #require(tracker.stop)
        #expect(stop.prior == 60 && stop.arrivedTs == 10 * Self.minute && stop.arrivedKm == 10)
        #expect(stop.reference == .init(level: 59.8, ts: 11 * Self.minute, readings: 1, fromTrip: false))
        #expect(stop.excursion == nil && !stop.judged && !stop.inLedger)
    }

    @Test func afterAGapTheStopIsMeasuredFromTheTripsLevel() throws {
        var tracker = driven()
        // Not trusted yet: 20 L below the trip's level, it starts a change from the trip's level.
        _ = tracker.settled(40, ts: 60 * Self.minute, ignitionOn: false, afterGap: true, distanceKm: 10, t)
        let stop = try #require(tracker.stop)
        let e = try #require(stop.excursion)
        #expect(e.before == 60 && e.beforeFromTrip && !e.up)
        // Near the trip's level, the first settled level is trusted at once.
        var near = driven()
        _ = near.settled(60.5, ts: 60 * Self.minute, ignitionOn: false, afterGap: true, distanceKm: 10, t)
        #expect(near.stop?.reference == .init(level: 60.5, ts: 60 * Self.minute, readings: 1, fromTrip: false))
    }

    @Test func threeCalmReadingsPinTheLevelAndPutItInTheRoadsLedger() throws {
        var tracker = driven()
        for (i, x) in [59.8, 60.1, 59.9, 60.0].enumerated() {
            _ = tracker.settled(x, ts: Int64(11 + i) * Self.minute, ignitionOn: false, afterGap: false, distanceKm: 10, t)
        }
        let stop = try #require(tracker.stop)
        let reference = try #require(stop.reference)
        #expect(reference.readings == 4 && !reference.fromTrip)
        #expect(abs(reference.level - 59.95) < 0.2)
        #expect(stop.inLedger, "three calm readings after two minutes at the stop go into the road's account")
    }

    @Test func aLevelBeyondTheTriggerStartsAChangeThatResolvesIntoAStepOnceQuiet() throws {
        var tracker = driven()
        var ts = 10 * Self.minute
        func read(_ x: Double) -> [LevelStep] {
            ts += Self.minute
            return tracker.settled(x, ts: ts, ignitionOn: false, afterGap: false, distanceKm: 10, t)
        }
        for _ in 0..<5 { _ = read(60) }
        for x in [50.0, 40, 30] { _ = read(x) }
        let e = try #require(tracker.stop?.excursion)
        #expect(!e.up && e.before == 60)
        var steps: [LevelStep] = []
        for _ in 0..<30 { steps += read(30) }
        #expect(tracker.stop?.excursion == nil, "the level is quiet: the change is resolved")
        #expect(tracker.stop?.judged == true)
        #expect(tracker.stop?.reference?.level == 30, "the level after is the new reference")
        steps += tracker.finish(t).map { [$0] } ?? []
        let drain = try #require(steps.first)
        #expect(steps.count == 1 && !drain.up && abs(drain.volume - 30) < 0.5)
    }

    @Test func drivingOffClosesTheStopAndLeavesAnUnjudgedOneToTheTripsAroundIt() throws {
        var tracker = driven()
        // Two settled readings: too few to judge a change at the stop itself.
        _ = tracker.settled(60, ts: 11 * Self.minute, ignitionOn: true, afterGap: false, distanceKm: 10, t)
        _ = tracker.settled(60, ts: 14 * Self.minute, ignitionOn: true, afterGap: false, distanceKm: 10, t)
        _ = tracker.unsettled(60, ts: 15 * Self.minute, stillUntil: 14 * Self.minute, distanceKm: 10.1, t)
        #expect(tracker.stop == nil)
        let left = try #require(tracker.shortStop)
        #expect(left.before == 60 && left.arrivedTs == 10 * Self.minute && left.leftTs == 15 * Self.minute)
        #expect(tracker.trip.count == 1, "the next trip starts with this reading")
    }

    @Test func aStopWithASettledLevelOfItsOwnIsNotJudgedFromTheTrips() {
        var tracker = driven()
        for i in 0..<6 {
            _ = tracker.settled(60, ts: Int64(11 + i) * Self.minute, ignitionOn: false, afterGap: false, distanceKm: 10, t)
        }
        _ = tracker.unsettled(60, ts: 20 * Self.minute, stillUntil: 16 * Self.minute, distanceKm: 10.1, t)
        #expect(tracker.stop == nil && tracker.shortStop == nil)
    }

    @Test func aMoveNobodySawForgetsTheStopTheTripAndTheRoadsAccount() {
        var tracker = driven()
        for i in 0..<4 {
            _ = tracker.settled(60, ts: Int64(11 + i) * Self.minute, ignitionOn: false, afterGap: false, distanceKm: 10, t)
        }
        tracker.movedUnseen()
        #expect(tracker.stop == nil && tracker.shortStop == nil && tracker.trip.count == 0)
        #expect(tracker.tripLevel == nil)
    }
}
