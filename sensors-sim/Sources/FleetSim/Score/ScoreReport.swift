/// Per-kind detection quality, from a one-to-one matching (`EventMatching`): precision is matched
/// detections over all detections, so a second flag on one incident or a refuel reported in pieces
/// costs precision like a false report; recall is matched true events over true events.
public struct KindScore: Sendable, Codable, Equatable {
    public var kind: String
    public var truth: Int
    public var detected: Int
    public var truePositives: Int
    public var falseNegatives: Int
    /// Detections with no true event in reach.
    public var falsePositives: Int
    /// Detections in reach of a true event that another detection already matched.
    public var duplicates: Int
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    /// Mean absolute % error of volumes over matched events (refuel and drain only).
    public var volumeMAPE: Double?
    public var volumePairs: Int?
    /// Recall over true events that do not overlap a store-and-forward outage of their vehicle
    /// (fleetd stores late readings but does not feed them to detectors).
    public var recallOutsideOutages: Double?
    public var truthOutsideOutages: Int?
    /// True events still going on at the end of the run that nothing reported: not in `truth`.
    public var openAtEnd: Int?

    enum CodingKeys: String, CodingKey {
        case kind, truth, detected, precision, recall, f1
        case openAtEnd = "open_at_end"
        case recallOutsideOutages = "recall_outside_outages", truthOutsideOutages = "truth_outside_outages"
        case truePositives = "true_positives", falseNegatives = "false_negatives", falsePositives = "false_positives", duplicates
        case volumeMAPE = "volume_mape_pct", volumePairs = "volume_pairs"
    }
}

/// Maintenance alerts expected (truth crossings) against raised (`maintenance_alerts`).
public struct MaintenanceScore: Sendable, Codable, Equatable {
    public var expected: Int
    public var raised: Int
    public var matched: Int
    /// Of the matched ones, how many named the same trigger.
    public var sameTrigger: Int
    public var missed: Int
    public var unexpected: Int
    /// The largest time between a matched alert and its true crossing, over crossings made while the
    /// vehicle was online.
    public var largestGapSeconds: Double
    /// Which crossing that was (vehicle, service and true time), to trace it.
    public var largestGapAt: String?
    public var byLevel: [String: [String: Int]]

    enum CodingKeys: String, CodingKey {
        case expected, raised, matched, missed, unexpected
        case sameTrigger = "same_trigger", byLevel = "by_level", largestGapSeconds = "largest_gap_s", largestGapAt = "largest_gap_at"
    }
}

public struct ScoreReport: Sendable, Codable, Equatable {
    public var toleranceSeconds: Double
    public var maintenanceToleranceSeconds: Double
    public var kinds: [KindScore]
    public var maintenance: MaintenanceScore
    /// Detections of kinds the simulator never injects (no truth to judge them by).
    public var unscored: [String: Int]
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case kinds, maintenance, unscored, notes
        case toleranceSeconds = "tolerance_s", maintenanceToleranceSeconds = "maintenance_tolerance_s"
    }

    public func kind(_ k: String) -> KindScore? { kinds.first { $0.kind == k } }
}
