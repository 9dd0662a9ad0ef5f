/// A change between two settled levels, found by `LevelStepTracker`.
public struct LevelStep: Sendable, Equatable, Codable {
    public var up: Bool
    public var startedAt: Int64
    public var endedAt: Int64
    public var levelBefore: Double
    public var levelAfter: Double
    /// Litres added (up) or lost beyond idle burn (down).
    public var volume: Double
    /// Lost while driving (judged stop to stop), not while parked.
    public var moving = false
    /// For a loss on the road: what the road explained and how sure.
    public var road: RoadDrainEvidence?
    /// The volume it must reach to be reported (minimum plus any slosh allowance).
    var minVolume = 0.0
    /// How long the new level was seen settled: siphoning takes minutes, a noise dip at a red light does not hold.
    var heldMs: Int64 = 0
    /// Standard error of `volume` from the probe's noise: a step must stand out of it.
    var noiseError = 0.0
}
