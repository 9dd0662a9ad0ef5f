import FleetCore

/// Matches what fleetd detected against the truth. Pure: tested on hand-made pairs.
///
/// A detection can match a true event of the same kind and vehicle when its interval overlaps the
/// true interval widened by the tolerance on both sides (`EventMatching`, one detection per event).
public enum Scorer {
    public struct Options: Sendable {
        public var toleranceMs: Int64 = 600_000
        public var maintenanceToleranceMs: Int64 = 86_400_000
        /// The run's end. A true event still going on then (within `openMarginMs`) that nothing
        /// reported is left out of recall: a dropout or a stuck probe is known when it ends, a
        /// refuel when the level settles, and the run stopped first. So is a fill or drain whose level
        /// after stayed hidden to the end (`blindingKinds`).
        public var runEndMs: Int64?
        public init() {}
    }

    public static let openMarginMs: Int64 = 120_000

    /// Truth kinds that are scored, and the detected kinds that count for them.
    static let scoredKinds: [(name: String, truth: TruthKind)] = [
        ("refuel", .refuel), ("drain", .drain), ("fuel_drain", .drain),
        ("fuel_dropout", .fuelDropout), ("fuel_sensor_stuck", .fuelSensorStuck), ("fuel_out_of_range", .fuelOutOfRange),
        ("odometer_rollback", .odometerRollback), ("odometer_jump", .odometerJump),
        ("gps_jump", .gpsJump), ("gps_invalid", .gpsInvalid), ("clock_skew", .clockSkew),
    ]

    public static func score(truth: [TruthEvent], detected: [DetectedEvent], options: Options = Options()) -> ScoreReport {
        var kinds: [KindScore] = []
        var known = Set(["maintenance"])
        let outages = Dictionary(grouping: truth.filter { $0.kind == .offline }, by: \.vehicle)
        func duringOutage(_ e: TruthEvent) -> Bool {
            outages[e.vehicle]?.contains { $0.startMs <= e.endMs && $0.endMs >= e.startMs } ?? false
        }
        let blinds = Dictionary(grouping: truth.filter { Self.blindingKinds.contains($0.kind) }, by: \.vehicle)
        for (name, tk) in scoredKinds {
            known.insert(name)
            var t = truth.filter { $0.kind == tk }
            let d = detected.filter { $0.kind == name }
            var openAtEnd = 0
            if let end = options.runEndMs {
                let m = EventMatching(truth: t, detected: d, toleranceMs: options.toleranceMs)
                let undecided = Set(t.indices.filter {
                    m.matchOf[$0] == nil && (t[$0].endMs >= end - Self.openMarginMs || hiddenUntil(end, t[$0], blinds[t[$0].vehicle]))
                })
                openAtEnd = undecided.count
                t = t.indices.filter { !undecided.contains($0) }.map { t[$0] }
            }
            // `fuel_drain` anomalies are optional mirrors of drain transactions: only list them if present.
            if name == "fuel_drain" && d.isEmpty { continue }
            var k = scoreKind(name, truth: t, detected: d, tolerance: options.toleranceMs, volumes: name == "refuel" || name == "drain")
            if openAtEnd > 0 { k.openAtEnd = openAtEnd }
            let online = t.filter { !duringOutage($0) }
            if online.count != t.count {
                let r = scoreKind(name, truth: online, detected: d, tolerance: options.toleranceMs, volumes: false)
                k.recallOutsideOutages = r.recall
                k.truthOutsideOutages = online.count
            }
            kinds.append(k)
            if name == "drain" {
                // Parked siphoning, siphoning at a short stop and drains while driving are judged apart
                // (many fleets ignore the latter); a road loss of 8 % of the tank or more has a bar of its own.
                for (sub, place) in Self.drainPlaces.map({ p in (t.filter(p.holds), p.name) }) {
                    guard !sub.isEmpty else { continue }
                    var r = scoreKind(place, truth: sub, detected: d, tolerance: options.toleranceMs, volumes: true)
                    // Detections are not labelled parked or moving: only recall and volume error mean anything here.
                    r.detected = 0; r.falsePositives = 0; r.duplicates = 0; r.precision = nil; r.f1 = nil
                    kinds.append(r)
                }
            }
        }
        var unscored: [String: Int] = [:]
        for d in detected where !known.contains(d.kind) { unscored[d.kind, default: 0] += 1 }
        let m = scoreMaintenance(truth: truth.filter { $0.kind == .maintenance }, online: { !duringOutage($0) },
                                 detected: detected.filter { $0.kind == "maintenance" }, tolerance: options.maintenanceToleranceMs)
        return ScoreReport(toleranceSeconds: Double(options.toleranceMs) / 1000,
                           maintenanceToleranceSeconds: Double(options.maintenanceToleranceMs) / 1000,
                           kinds: kinds, maintenance: m, unscored: unscored, notes: [])
    }

    /// Faults that hide the fuel level: a change that ends inside one lasting to the run's end was never
    /// seen settled (a theft overnight behind zeros with the ignition off, on the last night).
    static let blindingKinds: Set<TruthKind> = [.fuelDropout, .fuelSensorStuck]

    static func hiddenUntil(_ end: Int64, _ e: TruthEvent, _ blinds: [TruthEvent]?) -> Bool {
        guard e.kind == .drain || e.kind == .refuel else { return false }
        return blinds?.contains { $0.startMs <= e.endMs && $0.endMs >= end - openMarginMs } ?? false
    }

    /// Where a drain happened, as the scorer's sub-kinds.
    static let drainPlaces: [(name: String, holds: @Sendable (TruthEvent) -> Bool)] = [
        ("drain:parked", { $0.moving != true && $0.cause != "short_stop" }),
        ("drain:short-stop", { $0.cause == "short_stop" }),
        ("drain:moving", { $0.moving == true }),
        ("drain:moving≥8%", { $0.moving == true && ($0.tankShare ?? 0) >= 0.08 }),
    ]

    static func scoreKind(_ name: String, truth: [TruthEvent], detected: [DetectedEvent], tolerance: Int64, volumes: Bool) -> KindScore {
        let m = EventMatching(truth: truth, detected: detected, toleranceMs: tolerance)
        let tp = m.truePositives
        // Every detection counts: a duplicate on a matched event lowers precision like a false one.
        let precision = detected.isEmpty ? nil : Double(tp) / Double(detected.count)
        let recall = truth.isEmpty ? nil : Double(tp) / Double(truth.count)
        var f1: Double?
        if let p = precision, let r = recall { f1 = p + r > 0 ? 2 * p * r / (p + r) : 0 } else if !truth.isEmpty { f1 = 0 }
        var mape: Double?, pairs: Int?
        if volumes {
            // The matching detection's own volume: pieces of a split event are not added up.
            var errs: [Double] = []
            for (i, e) in truth.enumerated() {
                if let j = m.matchOf[i], let got = detected[j].volumeL, let want = e.volumeL, want > 0 {
                    errs.append(abs(got - want) / want * 100)
                }
            }
            pairs = errs.count
            mape = errs.isEmpty ? nil : errs.reduce(0, +) / Double(errs.count)
        }
        return KindScore(kind: name, truth: truth.count, detected: detected.count, truePositives: tp,
                         falseNegatives: truth.count - tp, falsePositives: m.falseReports, duplicates: m.duplicates,
                         precision: precision, recall: recall ?? (truth.isEmpty ? nil : 0), f1: f1, volumeMAPE: mape, volumePairs: pairs)
    }

    /// `online` tells crossings while the vehicle was sending data: only their alerts must come at once
    /// (one crossed during a store-and-forward outage is raised when its backlog arrives).
    static func scoreMaintenance(truth: [TruthEvent], online: (TruthEvent) -> Bool = { _ in true }, detected: [DetectedEvent],
                                 tolerance: Int64) -> MaintenanceScore {
        var used = [Bool](repeating: false, count: detected.count)
        var matched = 0, sameTrigger = 0
        var largestGap: Int64 = 0
        var largestGapAt: String?
        var byLevel: [String: [String: Int]] = [:]
        for e in truth {
            let level = e.level?.rawValue ?? "?"
            byLevel[level, default: [:]]["expected", default: 0] += 1
            var best: Int?
            var bestGap = Int64.max
            for (j, d) in detected.enumerated() where !used[j] && d.vehicle == e.vehicle && d.service == e.service && d.level == e.level {
                let gap = abs(d.startMs - e.startMs)
                if gap <= tolerance && gap < bestGap { bestGap = gap; best = j }
            }
            if let j = best {
                used[j] = true
                matched += 1
                if online(e), bestGap > largestGap {
                    largestGap = bestGap
                    largestGapAt = "\(e.vehicle) \(e.service ?? "?") \(e.level?.rawValue ?? "?") at \(Timestamp.formatRFC3339(ms: e.startMs))"
                }
                byLevel[level, default: [:]]["matched", default: 0] += 1
                if detected[j].trigger == e.trigger { sameTrigger += 1 }
            }
        }
        for d in detected { byLevel[d.level?.rawValue ?? "?", default: [:]]["raised", default: 0] += 1 }
        return MaintenanceScore(expected: truth.count, raised: detected.count, matched: matched, sameTrigger: sameTrigger,
                                missed: truth.count - matched, unexpected: detected.count - matched,
                                largestGapSeconds: Double(largestGap) / 1000, largestGapAt: largestGapAt, byLevel: byLevel)
    }
}
