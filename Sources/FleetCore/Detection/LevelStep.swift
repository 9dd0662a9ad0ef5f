/// A change between two settled levels, found by `LevelStepTracker`.
public struct LevelStep: Sendable, Equatable {
    public var up: Bool
    public var startedAt: Int64
    public var endedAt: Int64
    public var levelBefore: Double
    public var levelAfter: Double
    /// Litres added (up) or lost beyond idle burn (down).
    public var volume: Double
}
