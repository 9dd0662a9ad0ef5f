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
        let today = Self.day(seconds: nowSeconds)
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

    /// The first past day a partition is made for: within the retention, and at most `daysBack` ago.
    static func oldestPastDay(nowSeconds: Int64, retention: Duration?) -> Int64 {
        let today = day(seconds: nowSeconds)
        var oldest = today - Int64(daysBack)
        if let retention, retention > .zero {
            oldest = max(oldest, day(seconds: nowSeconds - retention.components.seconds) + 1)
        }
        return oldest
    }

    static func name(day: Int64) -> String {
        "readings_p" + Timestamp.formatRFC3339(ms: day * secondsPerDay * 1_000).prefix(10).filter { $0 != "-" }
    }

    /// The UTC day of a time in Unix seconds.
    static func day(seconds: Int64) -> Int64 { Timestamp.day(ms: seconds * 1_000) }
}

/// The device times (ms) the range partitions of `readings` cover, merged where they touch: a reading
/// outside them lands in the default partition. Checked for every reading written, so the common case
/// (the span holding now) is one comparison and the rest a binary search.
struct PartitionCoverage: Equatable {
    /// Disjoint, sorted, not touching.
    private(set) var spans: [ClosedRange<Int64>] = []

    init(_ partitions: [PartitionPlan.Partition]) {
        func ms(_ s: Int64?, _ none: Int64) -> Int64 { s.map { $0 == .min || $0 == .max ? $0 : $0 * 1_000 } ?? none }
        let ranges = partitions.filter { !$0.isDefault }.map { (ms($0.from, .min), ms($0.to, .max)) }.sorted { $0.0 < $1.0 }
        var merged: [(Int64, Int64)] = []  // [from, to)
        for r in ranges {
            if let last = merged.last, last.1 >= r.0 { merged[merged.count - 1].1 = max(last.1, r.1) } else { merged.append(r) }
        }
        spans = merged.map { $0.0...($0.1 == .max ? .max : $0.1 - 1) }
        latest = spans.indices.last
    }

    /// Index of the span checked first (the newest: live readings fall there).
    private var latest: Int?

    func contains(_ ms: Int64) -> Bool {
        if let i = latest, spans[i].contains(ms) { return true }
        var lo = 0, hi = spans.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if spans[mid].upperBound < ms { lo = mid + 1 } else { hi = mid }
        }
        return lo < spans.count && spans[lo].contains(ms)
    }
}
