import FleetSim
import Testing

@testable import FleetIngest
import SeededRandom

/// Which day partitions of `readings` exist, without a database: made ahead, made for a backlog's past
/// days within the retention, dropped past it, never for a far-off clock, and never twice.
@Suite struct PartitionPlanTests {
    typealias Partition = PartitionPlan.Partition
    static let day: Int64 = 86_400
    /// 2026-11-30 13:05:00 UTC.
    static let now: Int64 = 20_787 * day + 13 * 3_600 + 300

    static func dayPartition(_ d: Int64) -> Partition {
        Partition(name: PartitionPlan.name(day: d), from: d * day, to: (d + 1) * day)
    }

    @Test func aNewInstallGetsTodayAndTheDaysAhead() {
        let plan = PartitionPlan(existing: [Partition(name: "readings_default", isDefault: true)], nowSeconds: Self.now,
                                 retention: .seconds(90 * 86_400), daysAhead: 3)
        #expect(plan.create.map(\.name) == ["readings_p20261130", "readings_p20261201", "readings_p20261202", "readings_p20261203"])
        #expect(plan.create.first?.from == 20_787 * Self.day)
        #expect(plan.create.allSatisfy { $0.to - $0.from == Self.day })
        #expect(plan.drop.isEmpty)
    }

    @Test func theUpgradedTableCoversUpToTomorrowAndIsDroppedOnlyWhenAllOfItIsPastTheRetention() {
        let legacy = Partition(name: "readings_legacy", from: nil, to: 20_788 * Self.day)
        let plan = PartitionPlan(existing: [legacy], nowSeconds: Self.now, retention: .seconds(90 * 86_400), daysAhead: 3)
        #expect(plan.create.map(\.name) == ["readings_p20261201", "readings_p20261202", "readings_p20261203"])
        #expect(plan.drop.isEmpty)
        let later = PartitionPlan(existing: [legacy], nowSeconds: Self.now + 90 * Self.day, retention: .seconds(90 * 86_400), daysAhead: 3)
        #expect(later.drop.isEmpty, "its last day (today) is not yet 90 days old")
        let past = PartitionPlan(existing: [legacy], nowSeconds: Self.now + 91 * Self.day, retention: .seconds(90 * 86_400), daysAhead: 3)
        #expect(past.drop == ["readings_legacy"])
    }

    @Test func daysPastTheRetentionAreDroppedWholeAndNothingWhenKept() {
        let days = (20_660...20_790).map { Self.dayPartition(Int64($0)) }
        let existing = days + [Partition(name: "readings_default", isDefault: true)]
        let plan = PartitionPlan(existing: existing, nowSeconds: Self.now, retention: .seconds(30 * 86_400), daysAhead: 3)
        // Days ending at or before now − 30 d are gone; the day holding now − 30 d stays.
        let cutoff = Self.now - 30 * Self.day
        #expect(plan.drop == days.filter { $0.to! <= cutoff }.map(\.name).sorted())
        #expect(!plan.drop.contains(PartitionPlan.name(day: cutoff / Self.day)))
        #expect(!plan.drop.contains("readings_default"))
        #expect(PartitionPlan(existing: existing, nowSeconds: Self.now, retention: nil, daysAhead: 3).drop.isEmpty)
    }

    @Test func aBacklogsPastDaysGetPartitionsWithinTheRetentionAndAFarOffClockGetsNone() {
        let today: Int64 = 20_787
        let waiting: [Int64] = [today - 5, today - 5, today - 40, 7_305 /* 1990 */, 65_000 /* 2147 */, today + 10]
        let plan = PartitionPlan(existing: [], waitingDays: waiting, nowSeconds: Self.now, retention: .seconds(90 * 86_400), daysAhead: 3)
        let names = Set(plan.create.map(\.name))
        #expect(names.contains(PartitionPlan.name(day: today - 5)))
        #expect(!names.contains(PartitionPlan.name(day: today - 40)), "at most \(PartitionPlan.daysBack) days back")
        #expect(!names.contains(PartitionPlan.name(day: 7_305)) && !names.contains(PartitionPlan.name(day: 65_000)))
        #expect(!names.contains(PartitionPlan.name(day: today + 10)), "a day beyond those ahead waits until it comes within them")
        let short = PartitionPlan(existing: [], waitingDays: [today - 5], nowSeconds: Self.now, retention: .seconds(3 * 86_400), daysAhead: 3)
        #expect(!short.create.map(\.name).contains(PartitionPlan.name(day: today - 5)), "a day past the retention is not made")
    }

    /// Property: whatever exists, after the plan is carried out the days from today to those ahead are
    /// covered, nothing overlaps, nothing left is past the retention, and a second plan does nothing.
    @Test func carryingOutThePlanLeavesNothingToDo() {
        var rng = SimRandom(seed: 7)
        for _ in 0..<500 {
            let now = Self.now + Int64(rng.next() % UInt64(400 * Self.day))
            let today = PartitionPlan.day(seconds: now)
            var existing: [Partition] = [Partition(name: "readings_default", isDefault: true)]
            for d in (today - 120)...(today + 5) where rng.next() % 3 == 0 { existing.append(Self.dayPartition(d)) }
            let retention: Duration? = rng.next() % 4 == 0 ? nil : .seconds(Int64(1 + rng.next() % 100) * 86_400)
            let ahead = Int(rng.next() % 5)
            let waiting = (0..<Int(rng.next() % 6)).map { _ in today - 60 + Int64(rng.next() % 70) }
            let plan = PartitionPlan(existing: existing, waitingDays: waiting, nowSeconds: now, retention: retention, daysAhead: ahead)
            let after = existing.filter { !plan.drop.contains($0.name) }
                + plan.create.map { Partition(name: $0.name, from: $0.from, to: $0.to) }
            let ranges = after.filter { !$0.isDefault }.sorted { $0.from! < $1.from! }
            for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.to! <= b.from!, "overlap: \(a.name) \(b.name)") }
            for d in today...(today + Int64(ahead)) {
                #expect(ranges.contains { $0.from! <= d * Self.day && d * Self.day < $0.to! })
            }
            if let retention {
                #expect(!ranges.contains { $0.to! <= now - retention.components.seconds })
                #expect(plan.create.allSatisfy { $0.to > now - retention.components.seconds })
            }
            let again = PartitionPlan(existing: after, waitingDays: waiting, nowSeconds: now, retention: retention, daysAhead: ahead)
            #expect(again.create.isEmpty && again.drop.isEmpty)
            #expect(PartitionCoverage(after).contains(now * 1_000))
        }
    }

    @Test func coverageIsEveryRangePartitionAndNothingElse() {
        let d = Self.day * 1_000
        let parts = [Self.dayPartition(13), Self.dayPartition(10), Self.dayPartition(11), Partition(name: "readings_default", isDefault: true)]
        let c = PartitionCoverage(parts)
        #expect(c.spans == [(10 * d)...(12 * d - 1), (13 * d)...(14 * d - 1)], "touching days merge, a gap stays")
        for (ms, inside) in [(10 * d, true), (12 * d - 1, true), (12 * d, false), (13 * d + 5, true), (14 * d, false), (9 * d, false), (-d, false)] {
            #expect(c.contains(ms) == inside, "\(ms)")
        }
        let legacy = PartitionCoverage(parts + [Partition(name: "readings_legacy", from: nil, to: 10 * Self.day)])
        #expect(legacy.contains(.min) && legacy.contains(-d) && !legacy.contains(12 * d))
        #expect(!PartitionCoverage([]).contains(0))
        // Against a plain scan, on random layouts.
        var rng = SimRandom(seed: 3)
        for _ in 0..<200 {
            let days = (0..<40).filter { _ in rng.next() % 2 == 0 }.map { Self.dayPartition(Int64($0)) }
            let coverage = PartitionCoverage(days)
            for _ in 0..<50 {
                let ms = Int64(rng.next() % UInt64(42 * d)) - d
                #expect(coverage.contains(ms) == days.contains { $0.from! * 1_000 <= ms && ms < $0.to! * 1_000 })
            }
        }
    }

    @Test func namesAreUTCDays() {
        #expect(PartitionPlan.name(day: 0) == "readings_p19700101")
        #expect(PartitionPlan.name(day: 20_787) == "readings_p20261130")
        #expect(PartitionPlan.name(day: 20_878) == "readings_p20270301")
    }
}
