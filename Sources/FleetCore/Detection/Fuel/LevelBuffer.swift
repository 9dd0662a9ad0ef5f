/// A fixed-capacity ring of recent levels: detector state must stay small and bounded.
public struct LevelBuffer: Sendable, Equatable, Codable {
    public private(set) var levels: [Double] = []
    public private(set) var times: [Int64] = []
    public let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    public var count: Int { levels.count }
    public var isEmpty: Bool { levels.isEmpty }
    public var lastTime: Int64? { times.last }

    public mutating func append(_ level: Double, at ts: Int64) {
        if levels.count == capacity {
            levels.removeFirst()
            times.removeFirst()
        }
        levels.append(level)
        times.append(ts)
    }

    public mutating func removeAll() {
        levels.removeAll(keepingCapacity: true)
        times.removeAll(keepingCapacity: true)
    }

    /// Median of the last `n` levels (all when fewer); robust to single spikes.
    public func median(last n: Int = .max) -> Double? {
        guard !levels.isEmpty else { return nil }
        return Median.of(levels.suffix(n))
    }

    /// Median of levels measured at or after `since`.
    public func median(since: Int64) -> Double? {
        let picked = levels(since: since)
        return picked.isEmpty ? nil : Median.of(picked[...])
    }

    private func levels(since: Int64, through: Int64 = .max) -> [Double] {
        var picked: [Double] = []
        for i in levels.indices where times[i] >= since && times[i] <= through { picked.append(levels[i]) }
        return picked
    }

    /// Spread of the levels measured from `since` through `through`: 1.4826 × their median absolute
    /// deviation (σ for Gaussian scatter, robust to a spike).
    public func spread(since: Int64, through: Int64 = .max) -> Double {
        let picked = levels(since: since, through: through)
        guard picked.count >= 2 else { return 0 }
        let m = Median.of(picked[...])
        return 1.4826 * Median.of(picked.map { abs($0 - m) }[...])
    }

    /// How many levels were measured at or after `since`.
    public func count(since: Int64) -> Int { times.count { $0 >= since } }
}
