@testable import FleetCore
import Testing

/// The road ledger's decisions on settled stop levels alone: when a loss is reported at once, when it
/// waits for a level taken elsewhere.
@Suite struct RoadLossLedgerTests {
    /// A 400 L truck burning 32 L/100 km on 20 km legs (6.4 L each, ±0.3 L), one settled level per stop.
    struct Truck {
        var ledger = RoadLossLedger()
        var level = 380.0
        var km = 0.0
        var ts: Int64 = 0
        let t = FuelThresholds(capacityL: 400)
        static let wobble: [Double] = [0.3, -0.2, 0.1, -0.3, 0.2, 0.0, -0.1, 0.25]

        /// Drives a leg losing `losing` litres besides the burn, stops, and reads the level off by `tilt`.
        mutating func leg(losing: Double = 0, tilt: Double = 0) -> LevelStep? {
            km += 20
            ts += 1_800_000
            level -= 6.4 + Self.wobble[Int(km / 20) % Self.wobble.count] + losing
            return ledger.level(level + tilt, readings: 30, scatter: 0.4, ts: ts, km: km, t)
        }

        static func learned() -> Truck {
            var truck = Truck()
            for _ in 0..<10 { _ = truck.leg() }
            return truck
        }
    }

    /// A stop on a grade reads the tank 20 L low (5 % of it, more than twice the drain minimum): a level the
    /// next stop contradicts is no drain. Reported at once, it was a false theft.
    @Test func aLevelReadOnASlopeIsNotReportedAtOnce() {
        var truck = Truck.learned()
        #expect(truck.ledger.consumption.isLearned)
        let steps = [truck.leg(tilt: -20), truck.leg(), truck.leg()]
        #expect(steps.allSatisfy { $0 == nil }, "\(steps)")
    }

    /// The same 20 L gone for good: the next level elsewhere confirms it, reported once, measured whole.
    @Test func aLossTheNextStopConfirmsIsReported() throws {
        var truck = Truck.learned()
        #expect(truck.leg(losing: 20) == nil)
        let confirmed = truck.leg()
        let s = try #require(confirmed)
        #expect(!s.up && s.moving)
        #expect(abs(s.volume - 20) < 4, "\(s.volume)")
        let after = truck.leg()
        #expect(after == nil)
    }

    /// Three stops on slopes, nothing lost: one read 3 L high, the next two 7 L low. The high one against
    /// each low one looks like a loss of 10 L, over the 8 L minimum; from the stop before the high one the
    /// loss is 7 L, beyond twice the noise of that road but under the minimum. Confirmed on the weaker test,
    /// it was a false 10 L theft (the hilly world's v00265 at seed 2 is this shape).
    @Test func aHighLevelBetweenTwoLowOnesIsNoDrain() {
        var truck = Truck.learned()
        let steps = [truck.leg(tilt: 3), truck.leg(tilt: -7), truck.leg(tilt: -7), truck.leg(), truck.leg()]
        #expect(steps.allSatisfy { $0 == nil }, "\(steps)")
    }

    /// 60 L (15 % of the tank) is beyond any slope: reported at the level that shows it.
    @Test func aLossBeyondWhatASlopeExplainsIsReportedAtOnce() throws {
        var truck = Truck.learned()
        let found = truck.leg(losing: 60)
        let s = try #require(found)
        #expect(abs(s.volume - 60) < 6, "\(s.volume)")
    }
}
