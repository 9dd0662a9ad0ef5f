/// One-to-one matching of detections to true events of one kind: each true event is matched by at
/// most one detection and each detection matches at most one true event. A detection that falls in
/// the window of a true event already matched by another is a duplicate (a refuel reported in three
/// pieces, an incident flagged five times); one that falls in no window is false. The matching is a
/// maximum one (augmenting paths), preferring the closest pair, so the order of detections does not
/// change the counts.
public struct EventMatching: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The detection matched this true event.
        case match(Int)
        /// The detection lies in this true event's window, but another detection matched it.
        case duplicate(Int)
        /// No true event's window holds the detection.
        case falseReport
    }

    /// Per detection, in the order given.
    public var outcomes: [Outcome]
    /// Per true event, the index of the detection that matched it.
    public var matchOf: [Int?]

    public var truePositives: Int { matchOf.lazy.filter { $0 != nil }.count }
    public var duplicates: Int { outcomes.lazy.filter { if case .duplicate = $0 { true } else { false } }.count }
    public var falseReports: Int { outcomes.lazy.filter { $0 == .falseReport }.count }

    public init(truth: [TruthEvent], detected: [DetectedEvent], toleranceMs: Int64) {
        var truthByVehicle: [String: [Int]] = [:]
        for (i, e) in truth.enumerated() { truthByVehicle[e.vehicle, default: []].append(i) }
        // Candidates per detection, closest first.
        var candidates = [[Int]](repeating: [], count: detected.count)
        for (j, d) in detected.enumerated() {
            var near: [(Int64, Int)] = []
            for i in truthByVehicle[d.vehicle] ?? [] {
                let w = Self.window(truth[i], toleranceMs)
                guard d.startMs <= w.upperBound && d.endMs >= w.lowerBound else { continue }
                near.append((Self.closeness(d, truth[i]), i))
            }
            candidates[j] = near.sorted { $0 < $1 }.map(\.1)
        }
        var matchOf = [Int?](repeating: nil, count: truth.count)
        // Kuhn's augmenting paths, the closest detections first so ties go to the nearer pair.
        let order = candidates.indices.filter { !candidates[$0].isEmpty }.sorted { a, b in
            let ca = Self.closeness(detected[a], truth[candidates[a][0]]), cb = Self.closeness(detected[b], truth[candidates[b][0]])
            return ca != cb ? ca < cb : a < b
        }
        for j in order {
            var visited = Set<Int>()
            _ = Self.augment(j, candidates: candidates, matchOf: &matchOf, visited: &visited)
        }
        var outcomes = [Outcome](repeating: .falseReport, count: detected.count)
        for (i, m) in matchOf.enumerated() { if let j = m { outcomes[j] = .match(i) } }
        for j in detected.indices where outcomes[j] == .falseReport {
            if let i = candidates[j].first { outcomes[j] = .duplicate(i) }
        }
        self.outcomes = outcomes
        self.matchOf = matchOf
    }

    private static func augment(_ j: Int, candidates: [[Int]], matchOf: inout [Int?], visited: inout Set<Int>) -> Bool {
        for i in candidates[j] where visited.insert(i).inserted {
            if matchOf[i] == nil || augment(matchOf[i]!, candidates: candidates, matchOf: &matchOf, visited: &visited) {
                matchOf[i] = j
                return true
            }
        }
        return false
    }

    /// The true event's interval widened by the tolerance; a clock-skew flag may carry the device's
    /// (skewed) time, so its window also reaches the skew ahead.
    public static func window(_ e: TruthEvent, _ tol: Int64) -> ClosedRange<Int64> {
        (e.startMs - tol)...(e.endMs + tol + (e.kind == .clockSkew ? (e.skewMs ?? 0) : 0))
    }

    /// Distance between intervals: the gap when apart, minus the overlap's length when they overlap.
    static func closeness(_ d: DetectedEvent, _ e: TruthEvent) -> Int64 {
        -(min(d.endMs, e.endMs) - max(d.startMs, e.startMs))
    }
}
