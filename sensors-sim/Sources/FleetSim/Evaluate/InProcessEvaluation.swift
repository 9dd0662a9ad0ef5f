import FleetCore

/// fleetd's whole detection stage run on a simulated fleet without I/O: every message decoded and fed
/// in publish order with a receiving clock set by `pace` (live: the publish time; reorder window,
/// clock skew and backlogs as the daemon sees them), scored against the simulator's truth next to the naive baseline
/// on the same readings. The same stage as the daemon, minutes instead of hours for 500 vehicles × 3 days.
public struct InProcessEvaluation: Sendable {
    public var label: String
    public var report: SideBySideReport
    public var readings = 0
    /// Everything fleetd's stage emitted, in emission order (drains also as `fuel_drain` anomalies).
    public var events: [DetectionEvent] = []
    public var truth: [TruthEvent] = []
    public var maxStateBytes = 0
    public var endMs: Int64
    /// The traced vehicles' readings with their receipt times, when asked for.
    public var traced: [(reading: Reading, arrivalMs: Int64)] = []
    /// Each vehicle's tank, litres.
    public var tanks: [String: Double] = [:]
    /// Fuel card purchases made up from the truth and decided as fleetd's reconciler does, when asked for.
    public var purchases: PurchaseEvaluation?

    public var ours: ScoreReport { report.ours }

    /// What fleetd's stage found, as the scorer sees it. Drains are scored as transactions; their
    /// `fuel_drain` mirrors would only repeat them.
    public var detectedEvents: [DetectedEvent] { events.compactMap(\.detected).filter { $0.kind != "fuel_drain" } }
    public var naive: ScoreReport { report.naive }

    public init(label: String, config: ScenarioConfig, windowMs: Int64 = 10_000, pace: ArrivalPace = .live, trace: Set<String> = [],
                purchases withPurchases: Bool = false) {
        self.label = label
        endMs = config.endMs
        var sim = FleetSimulation(config: config)
        let decoder = PayloadDecoder()
        var fleet = FleetDetection(windowMs: windowMs)
        fleet.setConfigs(Dictionary(uniqueKeysWithValues: sim.specs.map { ($0.id, VehicleConfig(capacityL: $0.tankL)) }))
        tanks = Dictionary(uniqueKeysWithValues: sim.specs.map { ($0.id, $0.tankL) })
        fleet.setMaintenance(Self.book(sim), raised: [])
        var perVehicle = [[Reading]](repeating: [], count: config.vehicles)
        var batch = MessageBatch()
        var decoded = DecodedMessage()
        var index = 0
        while sim.nextSlice(into: &batch) {
            for m in batch.messages {
                let arrivalMs = pace.arrivalMs(publishMs: m.publishAtMs, index: index, startMs: config.startMs, endMs: config.endMs)
                index += 1
                decoded.removeAll()
                let topic = sim.topic(m)
                batch.bytes[m.offset..<(m.offset + m.length)].withUnsafeBytes {
                    decoder.decode(topic: topic, payload: $0, into: &decoded)
                }
                for r in decoded.readings {
                    _ = fleet.ingest(r, arrivalMs: arrivalMs, into: &events)
                    if trace.contains(r.vehicleID) { traced.append((r, arrivalMs)) }
                    // The naive baseline gets the same readings, minus clock-skewed ones, in device order.
                    if r.ts <= m.publishAtMs + Self.skewToleranceMs { perVehicle[Int(m.vehicle)].append(r) }
                }
            }
        }
        fleet.flushAll(into: &events)
        truth = sim.truth()
        for s in fleet.allStates { maxStateBytes = max(maxStateBytes, s.fuel.approximateBytes) }
        let order = Channel.allCases
        var naiveDetected: [DetectedEvent] = []
        var levels = 0
        var tracks: [String: VehicleTrack] = [:]
        for (i, var rs) in perVehicle.enumerated() {
            let spec = sim.specs[i]
            readings += rs.count
            rs.sort { a, b in a.ts != b.ts ? a.ts < b.ts : order.firstIndex(of: a.channel)! < order.firstIndex(of: b.channel)! }
            if withPurchases { tracks[spec.id] = VehicleTrack(rs, tankL: spec.tankL) }
            var naive = NaiveFuelDetector(vehicle: spec.id)
            for r in rs {
                guard let l = r.fuelL ?? r.fuelPct.map({ $0 / 100 * spec.tankL }) else { continue }
                levels += 1
                if let n = naive.process(level: l, ts: r.ts) { naiveDetected.append(n) }
            }
        }
        let ourDetected = events.compactMap(\.detected).filter { $0.kind != "fuel_drain" }
        var options = Scorer.Options()
        options.runEndMs = config.endMs
        if withPurchases {
            var refuels: [String: [PurchaseCheck.Refuel]] = [:]
            for case .transaction(let t) in events where t.kind == .refuel {
                let sigma = tracks[t.vehicleID]?.levelSigma(after: t.endedAt) ?? 1
                refuels[t.vehicleID, default: []].append(PurchaseCheck.Refuel(
                    id: Int64(refuels.values.reduce(0) { $0 + $1.count } + 1), startedAtMs: t.startedAt, endedAtMs: t.endedAt,
                    volumeL: t.volumeL, levelSigmaL: sigma))
            }
            let steps = Dictionary(grouping: naiveDetected.filter { $0.kind == "refuel" }, by: \.vehicle)
            let fakes = PurchaseFaker.purchases(truth: truth, tracks: tracks, startMs: config.startMs, endMs: config.endMs, seed: config.seed)
            var faults: [String: [Int64]] = [:]
            for case .anomaly(let a) in events where PurchaseCheck.probeFaults.contains(a.kind) { faults[a.vehicleID, default: []].append(a.ts) }
            purchases = PurchaseEvaluation(fakes: fakes, refuels: refuels, probeFaults: faults, steps: steps, tracks: tracks,
                                           nowMs: config.endMs + 72 * 3_600_000)
        }
        report = SideBySideReport(ours: Scorer.score(truth: truth, detected: ourDetected, options: options),
                                  naive: Scorer.score(truth: truth, detected: naiveDetected, options: options), naiveLevels: levels)
    }

    /// The simulator's maintenance plans and service records as fleetd reads them from PostgreSQL.
    public static func book(_ sim: FleetSimulation) -> MaintenanceBook {
        MaintenanceBook(plans: sim.plans, records: sim.serviceRecords)
    }

    static let skewToleranceMs: Int64 = 60_000
}

extension DetectionEvent {
    /// The event as the scorer sees rows loaded from PostgreSQL.
    public var detected: DetectedEvent? {
        switch self {
        case .transaction(let t):
            DetectedEvent(kind: t.kind.rawValue, vehicle: t.vehicleID, startMs: t.startedAt, endMs: t.endedAt, volumeL: t.volumeL)
        case .anomaly(let a):
            DetectedEvent(kind: a.kind.rawValue, vehicle: a.vehicleID, startMs: a.ts)
        case .maintenance(let m):
            DetectedEvent(kind: "maintenance", vehicle: m.vehicleID, startMs: m.ts, service: m.service, trigger: m.trigger,
                          level: m.level)
        }
    }
}
