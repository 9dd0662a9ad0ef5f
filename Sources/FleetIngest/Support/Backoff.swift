/// Capped exponential back-off for reconnect loops.
struct Backoff {
    let initial: Duration
    let maximum: Duration
    private(set) var current: Duration

    init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
        self.current = initial
    }

    /// The delay to wait now; the next one doubles up to the cap.
    mutating func next() -> Duration {
        defer { current = min(current * 2, maximum) }
        return current
    }

    mutating func reset() { current = initial }
}
