/// One log line per distinct trouble, repeated once a minute while it lasts: enough at 3 a.m., and a
/// broker or database that fails every 100 ms does not fill the disk. Each thread keeps its own.
struct LogThrottle {
    let interval: Duration
    /// Distinct texts remembered at most (a flood of different texts starts afresh).
    let capacity: Int
    private var last: [String: ContinuousClock.Instant] = [:]

    init(interval: Duration = .seconds(60), capacity: Int = 100) {
        self.interval = interval
        self.capacity = capacity
    }

    /// Whether `text` should be logged now; if so, it is remembered as logged.
    mutating func allows(_ text: String, now: ContinuousClock.Instant = .now) -> Bool {
        if let t = last[text], now - t < interval { return false }
        if last.count >= capacity { last.removeAll(keepingCapacity: true) }
        last[text] = now
        return true
    }

    /// The trouble is over: the next occurrence is logged at once.
    mutating func reset() { last.removeAll(keepingCapacity: true) }
}
