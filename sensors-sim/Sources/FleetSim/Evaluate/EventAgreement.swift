import Foundation

/// How far two runs of the detection stage over the same readings agree: each event of one paired
/// with the nearest unpaired event of the same kind, vehicle (and service and level) in the other,
/// within `toleranceMs`. Received at another pace, a clock skew's offset is measured from receipt or
/// from the unit's cadence, which can differ by a report interval; nothing else should move.
public struct EventAgreement: Sendable {
    public var paired = 0
    /// Events of the first run with no partner in the second, and the other way round.
    public var onlyFirst: [DetectedEvent] = []
    public var onlySecond: [DetectedEvent] = []
    /// The largest start-time difference of a pair, ms.
    public var largestShiftMs: Int64 = 0
    /// The largest volume difference of a paired fuel transaction, litres.
    public var largestVolumeDifferenceL = 0.0

    public var identical: Bool { onlyFirst.isEmpty && onlySecond.isEmpty }

    public init(_ first: [DetectedEvent], _ second: [DetectedEvent], toleranceMs: Int64) {
        func key(_ e: DetectedEvent) -> String { [e.kind, e.vehicle, e.service ?? "", e.level?.rawValue ?? ""].joined(separator: "|") }
        var pool = Dictionary(grouping: second, by: key).mapValues { $0.sorted { $0.startMs < $1.startMs } }
        for e in first.sorted(by: { $0.startMs < $1.startMs }) {
            let k = key(e)
            let candidates = pool[k] ?? []
            guard let best = candidates.indices.min(by: { abs(candidates[$0].startMs - e.startMs) < abs(candidates[$1].startMs - e.startMs) }),
                  abs(candidates[best].startMs - e.startMs) <= toleranceMs
            else {
                onlyFirst.append(e)
                continue
            }
            let other = candidates[best]
            paired += 1
            largestShiftMs = max(largestShiftMs, abs(other.startMs - e.startMs))
            if let a = e.volumeL, let b = other.volumeL { largestVolumeDifferenceL = max(largestVolumeDifferenceL, abs(a - b)) }
            pool[k]!.remove(at: best)
        }
        onlySecond = pool.values.flatMap { $0 }.sorted { $0.startMs < $1.startMs }
    }

    /// One line for a log: pairs, largest shifts, and the first events without a partner.
    public var summary: String {
        var s = "\(paired) paired (largest shift \(largestShiftMs / 1000) s, volume \(String(format: "%.2f", largestVolumeDifferenceL)) L)"
        s += ", \(onlyFirst.count) only in the first, \(onlySecond.count) only in the second"
        let listed = (onlyFirst.prefix(3).map { "first: \($0.kind) \($0.vehicle) \(RFC3339.format($0.startMs))" }
            + onlySecond.prefix(3).map { "second: \($0.kind) \($0.vehicle) \(RFC3339.format($0.startMs))" })
        return listed.isEmpty ? s : s + "; " + listed.joined(separator: ", ")
    }
}

extension EventAgreement {
    /// Runs of one stream at different paces: a clock skew's offset may be measured a report
    /// interval (up to 5 minutes parked) apart, and events it holds move with it.
    public static let paceToleranceMs: Int64 = 5 * 60_000
}
