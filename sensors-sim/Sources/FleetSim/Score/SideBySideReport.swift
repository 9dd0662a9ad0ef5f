/// fleetd's detections and the naive baseline's, scored on the same truth and the same readings.
public struct SideBySideReport: Sendable, Codable, Equatable {
    public var ours: ScoreReport
    public var naive: ScoreReport
    /// Fuel levels the naive baseline was fed.
    public var naiveLevels: Int

    enum CodingKeys: String, CodingKey {
        case ours, naive
        case naiveLevels = "naive_levels"
    }

    public init(ours: ScoreReport, naive: ScoreReport, naiveLevels: Int) {
        self.ours = ours
        self.naive = naive.fuelTransactionsOnly()
        self.naiveLevels = naiveLevels
    }
}

extension ScoreReport {
    /// Kinds a level-step detector can produce: the rest of its report would only list misses.
    static let fuelTransactionKinds = Set(["refuel", "drain"] + Scorer.drainPlaces.map(\.name))

    /// This report with only refuel and drain rows, for the naive baseline.
    public func fuelTransactionsOnly() -> ScoreReport {
        var r = self
        r.kinds = kinds.filter { Self.fuelTransactionKinds.contains($0.kind) }
        r.unscored = [:]
        return r
    }
}
