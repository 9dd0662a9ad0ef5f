import FleetCore

/// Which partitions of `readings` to create and which to drop, decided without I/O from the ones that
/// exist: a partition per UTC day of device time from today to `daysAhead` days on, and for past days
/// within the retention (at most `daysBack`) whose rows wait in the default partition (a unit that
/// stored and forwarded); days some other partition already covers are left to it. Every range
/// partition whose end is past the retention is dropped whole. The default partition is never
/// dropped: it keeps rows of far-off clocks, which no count of distinct days can turn into partitions.
struct PartitionPlan: Equatable {
    /// One partition as PostgreSQL describes it; bounds in Unix seconds, nil for MINVALUE/MAXVALUE.
    struct Partition: Equatable {
        var name: String
        var from: Int64?
        var to: Int64?
        var isDefault = false
    }

    /// A day fleetd creates: `readings_pYYYYMMDD`, covering [from, to).
    struct Day: Equatable {
        var name: String
        var from: Int64
        var to: Int64
    }

    var create: [Day] = []
    var drop: [String] = []

    static let secondsPerDay: Int64 = 86_400

    static let daysBack = 31

    /// `retention`: nil keeps everything. `waitingDays`: days (since 1970, UTC) of rows in the default partition.
    init(existing: [Partition], waitingDays: [Int64] = [], nowSeconds: Int64, retention: Duration?, daysAhead: Int) {
        let ranges = existing.filter { !$0.isDefault }
        let today = Self.floorDiv(nowSeconds, Self.secondsPerDay)
        let oldest = Self.oldestPastDay(nowSeconds: nowSeconds, retention: retention)
        let past = Set(waitingDays.filter { $0 >= oldest && $0 < today }).sorted()
        for day in past + Array(today...(today + Int64(max(0, daysAhead)))) {
            let from = day * Self.secondsPerDay, to = from + Self.secondsPerDay
            let covered = ranges.contains { ($0.from ?? .min) < to && ($0.to ?? .max) > from }
            if !covered { create.append(Day(name: Self.name(day: day), from: from, to: to)) }
        }
        if let retention, retention > .zero {
            let cutoff = nowSeconds - retention.components.seconds
            drop = ranges.filter { p in p.to.map { $0 <= cutoff } ?? false }.map(\.name).sorted()
        }
    }

    /// The span of device time the range partitions cover without a gap, around `nowSeconds`
    /// (nil when no partition holds now): a reading outside it lands in the default partition.
    static func coveredSpan(_ existing: [Partition], aroundSeconds now: Int64) -> ClosedRange<Int64>? {
        let ranges = existing.filter { !$0.isDefault }.map { ($0.from ?? .min, $0.to ?? .max) }.sorted { $0.0 < $1.0 }
        guard var i = ranges.firstIndex(where: { $0.0 <= now && now < $0.1 }) else { return nil }
        var lower = ranges[i].0, upper = ranges[i].1
        // Walk outwards while the neighbours touch (ranges never overlap in PostgreSQL).
        while i > 0, ranges[i - 1].1 == lower { i -= 1; lower = ranges[i].0 }
        for r in ranges where r.0 == upper { upper = r.1 }
        return lower...(upper == .max ? .max : upper - 1)
    }

    /// The first past day a partition is made for: within the retention, and at most `daysBack` ago.
    static func oldestPastDay(nowSeconds: Int64, retention: Duration?) -> Int64 {
        let today = floorDiv(nowSeconds, secondsPerDay)
        var oldest = today - Int64(daysBack)
        if let retention, retention > .zero {
            oldest = max(oldest, floorDiv(nowSeconds - retention.components.seconds, secondsPerDay) + 1)
        }
        return oldest
    }

    static func name(day: Int64) -> String {
        "readings_p" + Timestamp.formatRFC3339(ms: day * secondsPerDay * 1_000).prefix(10).filter { $0 != "-" }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
