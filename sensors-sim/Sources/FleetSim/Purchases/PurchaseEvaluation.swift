import FleetCore
import Foundation

/// fleetd's purchase checks on a simulated fleet, scored against what happened at the pump, next to
/// the naive rule (the purchase against the nearest fuel step within an hour: over 10 % more paid
/// than the step is short, no step is no refuel). Purchases are decided in time order per vehicle,
/// each refuel paying for one, as fleetd's reconciler does.
public struct PurchaseEvaluation: Sendable {
    public struct Counts: Sendable, Equatable {
        public var truePositives = 0
        public var falsePositives = 0
        public var falseNegatives = 0
        public var precision: Double? { truePositives + falsePositives == 0 ? nil : Double(truePositives) / Double(truePositives + falsePositives) }
        public var recall: Double? { truePositives + falseNegatives == 0 ? nil : Double(truePositives) / Double(truePositives + falseNegatives) }

        mutating func add(predicted: Bool, actual: Bool) {
            switch (predicted, actual) {
            case (true, true): truePositives += 1
            case (true, false): falsePositives += 1
            case (false, true): falseNegatives += 1
            case (false, false): break
            }
        }
    }

    public struct Side: Sendable, Equatable {
        public var short = Counts()
        public var noRefuel = Counts()
        /// Honest purchases called short or no refuel.
        public var honestFlagged = 0
        public var unverifiable = 0
    }

    public var fleetd = Side()
    public var naive = Side()
    public var purchases = 0
    public var honest = 0
    public var short = 0
    public var elsewhere = 0
    /// fleetd's wrong calls on honest purchases and missed shortfalls, a line each, for a person to look into.
    public var mistakes: [String] = []

    /// `refuels`: fleetd's detected refuels per vehicle; `probeFaults`: the times fleetd flagged each
    /// vehicle's probe; `steps`: the naive detector's.
    public init(fakes: [PurchaseFaker.Fake], refuels: [String: [PurchaseCheck.Refuel]], probeFaults: [String: [Int64]],
                steps: [String: [DetectedEvent]], tracks: [String: VehicleTrack], nowMs: Int64) {
        var claimed = Set<Int64>(), naiveClaimed = Set<Int>()
        for f in fakes {
            purchases += 1
            switch f.truth {
            case .honest: honest += 1
            case .short: short += 1
            case .elsewhere: elsewhere += 1
            }
            let p = f.purchase
            let track = tracks[p.vehicleID]
            var e = PurchaseCheck.Evidence(purchase: p, nowMs: nowMs)
            e.refuels = (refuels[p.vehicleID] ?? []).filter { !claimed.contains($0.id) }
            e.probeFaulty = (probeFaults[p.vehicleID] ?? []).contains {
                $0 >= p.purchasedAtMs - PurchaseCheck.probeFaultBeforeMs && $0 <= p.purchasedAtMs + PurchaseCheck.probeFaultAfterMs
            }
            if let track {
                (e.fuelBeforeMs, e.fuelAfterMs) = track.fuelAround(p.purchasedAtMs)
                e.latestFuelMs = track.latestFuelMs
                e.fixes = Array(track.fixes(around: p.purchasedAtMs, within: PurchaseCheck.Limits().fixWithinMs))
            }
            let decision = PurchaseCheck.decide(e)
            var predicted = "other"
            switch decision {
            case .matched(let id, _, _): claimed.insert(id); predicted = "matched"
            case .short(let id, _, _, _, _): claimed.insert(id); predicted = "short"
            case .noRefuel, .elsewhere: predicted = "no_refuel"
            case .unverifiable, .wait: predicted = "unverifiable"
            }
            Self.tally(&fleetd, predicted: predicted, truth: f.truth)
            let wrong = (f.truth == .honest && predicted != "matched" && predicted != "unverifiable")
                || (f.truth == .short && predicted != "short") || (f.truth == .elsewhere && predicted != "no_refuel")
            if wrong {
                mistakes.append("\(f.truth.rawValue) purchase of \(String(format: "%.1f", p.volumeL)) L by \(p.vehicleID) at \(Timestamp.formatRFC3339(ms: p.purchasedAtMs))"
                                + (f.truth == .short ? " (\(Int(f.missingFraction * 100)) % missing)" : "") + ": \(decision)")
            }

            // The naive rule: the nearest unclaimed fuel step within an hour.
            let candidates = (steps[p.vehicleID] ?? []).enumerated().filter { i, s in
                !naiveClaimed.contains(i) && abs(Self.midpoint(s) - p.purchasedAtMs) <= 3_600_000
            }
            var naivePredicted = "no_refuel"
            if let (i, s) = candidates.min(by: { abs(Self.midpoint($0.1) - p.purchasedAtMs) < abs(Self.midpoint($1.1) - p.purchasedAtMs) }) {
                naiveClaimed.insert(i)
                naivePredicted = (p.volumeL - (s.volumeL ?? 0)) / p.volumeL > 0.10 ? "short" : "matched"
            }
            Self.tally(&naive, predicted: naivePredicted, truth: f.truth)
        }
    }

    private static func midpoint(_ s: DetectedEvent) -> Int64 { (s.startMs + s.endMs) / 2 }

    private static func tally(_ side: inout Side, predicted: String, truth: PurchaseFaker.Fake.Truth) {
        side.short.add(predicted: predicted == "short", actual: truth == .short)
        side.noRefuel.add(predicted: predicted == "no_refuel", actual: truth == .elsewhere)
        if truth == .honest && (predicted == "short" || predicted == "no_refuel") { side.honestFlagged += 1 }
        if predicted == "unverifiable" { side.unverifiable += 1 }
    }

    public var table: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "    -" }
        func row(_ name: String, _ c: Counts, _ n: Counts) -> String {
            name.padding(toLength: 11, withPad: " ", startingAt: 0)
                + " \(f(c.precision))  \(f(c.recall))   (\(c.truePositives) TP, \(c.falsePositives) FP, \(c.falseNegatives) FN)".padding(toLength: 42, withPad: " ", startingAt: 0)
                + " | \(f(n.precision))  \(f(n.recall))   (\(n.truePositives) TP, \(n.falsePositives) FP, \(n.falseNegatives) FN)"
        }
        return """
            fuel card purchases: \(purchases) (\(honest) honest, \(short) short by 10–40 %, \(elsewhere) card used away from the vehicle; cash fills have none)
            status      fleetd P  R                                   | naive P  R
            \(row("short", fleetd.short, naive.short))
            \(row("no_refuel", fleetd.noRefuel, naive.noRefuel))
            honest purchases flagged: fleetd \(fleetd.honestFlagged), naive \(naive.honestFlagged); unverifiable (no fuel data around): fleetd \(fleetd.unverifiable)
            """ + mistakes.prefix(20).map { "\n  " + $0 }.joined()
    }
}
