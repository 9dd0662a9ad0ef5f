@testable import FleetCore
import SeededRandom
import Foundation
import Testing

/// `consumption_outlier`: judged against the vehicle's own median, only once there is one,
/// never on short intervals or on a few litres, and outliers stay out of the baseline.
@Suite struct ConsumptionWatchTests {
    static let t0: Int64 = 1_700_000_000_000

    static func refuel(_ i: Int, km: Double?, usedL: Double?, kind: FuelTransaction.Kind = .refuel) -> FuelTransaction {
        FuelTransaction(kind: kind, vehicleID: "v", startedAt: t0 + Int64(i) * 86_400_000, endedAt: t0 + Int64(i) * 86_400_000 + 300_000,
                        volumeL: usedL ?? 40, levelBeforeL: 10, levelAfterL: 50, moving: false, odometerKm: nil, lat: nil, lon: nil,
                        distanceKm: km, fuelUsedL: usedL, kmPerL: nil)
    }

    static func run(_ txs: [FuelTransaction]) -> [Anomaly] {
        var watch = ConsumptionWatch()
        return txs.flatMap { watch.feed($0) }
    }

    @Test func aDoubledIntervalIsFlaggedWithItsBaseline() {
        var txs = (0..<5).map { Self.refuel($0, km: 500, usedL: 50) }  // 10 L/100 km
        txs.append(Self.refuel(5, km: 400, usedL: 80))
        let found = Self.run(txs)
        #expect(found.count == 1)
        guard let a = found.first else { return }
        #expect(a.kind == .consumptionOutlier && a.severity == .warning && a.ts == txs[5].startedAt)
        #expect(a.value == 20 && a.expected == 10)
        #expect(a.details["distance_km"] == .number(400) && a.details["fuel_used_l"] == .number(80))
        #expect(a.details["baseline_l_per_100km"] == .number(10) && a.details["intervals"] == .number(5))
    }

    @Test func nothingIsJudgedBeforeThreeIntervals() {
        let txs = [Self.refuel(0, km: 500, usedL: 50), Self.refuel(1, km: 500, usedL: 50), Self.refuel(2, km: 500, usedL: 150)]
        #expect(Self.run(txs).isEmpty)
        // The third counted: 10, 10, 30 → median 10, so 30 is an outlier now.
        #expect(Self.run(txs + [Self.refuel(3, km: 500, usedL: 150)]).count == 1)
    }

    @Test func shortIntervalsSmallExcessAndOtherTransactionsAreIgnored() {
        var txs = (0..<4).map { Self.refuel($0, km: 500, usedL: 50) }
        txs.append(Self.refuel(4, km: 49, usedL: 20))  // short: 41 L/100 km but not judged
        txs.append(Self.refuel(5, km: 50, usedL: 9.9))  // 19.8 L/100 km, but only 4.9 L above baseline
        txs.append(Self.refuel(6, km: 600, usedL: nil))  // the previous refuel had no odometer
        txs.append(Self.refuel(7, km: 500, usedL: 200, kind: .drain))
        #expect(Self.run(txs).isEmpty)
        #expect(Self.run(Array(txs[0..<4]) + [Self.refuel(5, km: 50, usedL: 10.1)]).count == 1)
    }

    @Test func outliersStayOutOfTheBaseline() {
        var txs = (0..<3).map { Self.refuel($0, km: 500, usedL: 50) }
        // Ten outliers in a row are each judged against the same normal.
        txs += (3..<13).map { Self.refuel($0, km: 500, usedL: 100) }
        #expect(Self.run(txs).count == 10)
    }

    /// Constant consumption with ±10 % noise never flags; one doubled interval flags once.
    @Test(arguments: 0..<10)
    func noisyConstantConsumption(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        let l100 = rng.uniform(5, 40)
        let doubled = rng.int(8, 59)
        var txs: [FuelTransaction] = []
        for i in 0..<60 {
            let km = rng.uniform(20, 1_200)
            var rate = l100 * rng.uniform(0.9, 1.1)
            if i == doubled { rate = l100 * 2 * rng.uniform(0.9, 1.1) }
            txs.append(Self.refuel(i, km: km, usedL: rate * km / 100))
        }
        let clean = txs.enumerated().filter { $0.offset != doubled }.map(\.element)
        #expect(Self.run(clean).isEmpty)
        let found = Self.run(txs)
        let km = txs[doubled].distanceKm!
        // Above the highest baseline the noise allows by the absolute floor: must be flagged.
        if km >= ConsumptionWatch.minDistanceKm && txs[doubled].fuelUsedL! - 1.1 * l100 * km / 100 >= ConsumptionWatch.minExcessL {
            #expect(found.map(\.ts) == [txs[doubled].startedAt])
        }
        #expect(found.count <= 1)
    }

    @Test func stateSurvivesAJSONRoundTrip() throws {
        var watch = ConsumptionWatch()
        for i in 0..<5 { _ = watch.feed(Self.refuel(i, km: 300, usedL: 30)) }
        let back = try JSONDecoder().decode(ConsumptionWatch.self, from: JSONEncoder().encode(watch))
        #expect(back == watch)
    }
}
