import FleetCore
import FleetSim

/// Runs a simulated fleet without I/O, feeds every vehicle's readings in device-time order to our
/// detector and to the naive baseline, and scores both against the simulator's truth.
struct ScenarioEvaluation {
    var label: String
    var ours: ScoreReport
    var naive: ScoreReport
    var readings = 0
    var ourEvents: [DetectedEvent] = []
    var truth: [TruthEvent] = []
    var maxStateBytes = 0
    var endMs: Int64

    init(label: String, config: ScenarioConfig) {
        self.label = label
        endMs = config.endMs
        var sim = FleetSimulation(config: config)
        let decoder = PayloadDecoder()
        // Ours: the whole detection stage as the pipeline runs it, fed in publish order with the
        // publish time as the receiving clock (reorder window, clock skew, backlogs and all).
        var fleet = FleetDetection(windowMs: 10_000)
        fleet.setConfigs(Dictionary(uniqueKeysWithValues: sim.specs.map { ($0.id, VehicleConfig(capacityL: $0.tankL)) }))
        fleet.setMaintenance(Self.book(sim), raised: [])
        var events: [DetectionEvent] = []
        var perVehicle = [[Reading]](repeating: [], count: config.vehicles)
        var batch = MessageBatch()
        var decoded = DecodedMessage()
        while sim.nextSlice(into: &batch) {
            for m in batch.messages {
                decoded.removeAll()
                let topic = sim.topic(m)
                batch.bytes[m.offset..<(m.offset + m.length)].withUnsafeBytes {
                    decoder.decode(topic: topic, payload: $0, into: &decoded)
                }
                for r in decoded.readings {
                    _ = fleet.ingest(r, arrivalMs: m.publishAtMs, into: &events)
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
        for (i, var rs) in perVehicle.enumerated() {
            let spec = sim.specs[i]
            readings += rs.count
            rs.sort { a, b in a.ts != b.ts ? a.ts < b.ts : order.firstIndex(of: a.channel)! < order.firstIndex(of: b.channel)! }
            var naive = NaiveFuelDetector(vehicle: spec.id)
            for r in rs {
                if let l = r.fuelL ?? r.fuelPct.map({ $0 / 100 * spec.tankL }), let n = naive.process(level: l, ts: r.ts) {
                    naiveDetected.append(n)
                }
            }
        }
        // Drains are scored as transactions; their `fuel_drain` mirrors would only repeat them.
        ourEvents = events.compactMap(\.detected).filter { $0.kind != "fuel_drain" }
        ours = Scorer.score(truth: truth, detected: ourEvents)
        naive = Scorer.score(truth: truth, detected: naiveDetected)
    }

    /// The simulator's maintenance plans and service records as fleetd reads them from PostgreSQL.
    static func book(_ sim: FleetSimulation) -> MaintenanceBook {
        let plans = sim.plans.enumerated().map { i, p in
            MaintenancePlanRow(id: Int64(i + 1), vehicleID: p.vehicleID, service: p.service, intervalKm: p.intervalKm,
                               intervalDays: p.intervalDays, intervalEngineHours: p.intervalEngineHours, noticeKm: p.noticeKm,
                               noticeDays: p.noticeDays, createdAtMs: sim.config.startMs)
        }
        let records = sim.serviceRecords.enumerated().map { i, r in
            ServiceRecordRow(id: Int64(i + 1), vehicleID: r.vehicleID, service: r.service, performedAtMs: r.performedAtMs,
                             odometerKm: r.odometerKm, engineHours: r.engineHours)
        }
        return MaintenanceBook(plans: plans, records: records)
    }

    static let skewToleranceMs: Int64 = 60_000
    static let kinds = ["refuel", "drain", "drain:parked", "drain:moving", "fuel_sensor_stuck", "fuel_dropout", "fuel_out_of_range",
                        "odometer_rollback", "odometer_jump", "gps_jump", "gps_invalid", "clock_skew"]

    /// One block of the score table: per kind, ours against naive.
    func table() -> String {
        func f(_ v: Double?) -> String {
            guard let v else { return "    -" }
            let s = String(Int((v * 1000).rounded()))
            let p = String(repeating: "0", count: max(0, 4 - s.count)) + s
            return " " + p.prefix(p.count - 3) + "." + p.suffix(3)
        }
        func m(_ v: Double?) -> String {
            guard let v else { return "     -" }
            let s = String(Int((v * 10).rounded()))
            let p = s.count < 2 ? "0" + s : s
            let t = p.prefix(p.count - 1) + "." + p.suffix(1)
            return String(repeating: " ", count: max(0, 6 - t.count)) + t
        }
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        var out = "\(label)  (\(readings) readings, largest detector state ≈ \(maxStateBytes) B)\n"
        out += "  kind               truth | ours: det     P     R    F1  MAPE% | naive: det     P     R    F1  MAPE%\n"
        for k in Self.kinds {
            let o = ours.kind(k), n = naive.kind(k)
            guard o != nil || n != nil else { continue }
            let truthN = o?.truth ?? n?.truth ?? 0
            func cols(_ s: KindScore?) -> String {
                guard let s else { return pad("", 8) + "    -     -     -      -" }
                let det = String(s.detected)
                return String(repeating: " ", count: max(0, 8 - det.count)) + det + f(s.precision) + f(s.recall) + f(s.f1) + m(s.volumeMAPE)
            }
            let tn = String(truthN)
            out += "  " + pad(k, 17) + String(repeating: " ", count: max(0, 6 - tn.count)) + tn + " |" + cols(o) + " |" + cols(n) + "\n"
        }
        let m = ours.maintenance
        out += "  maintenance alerts: expected \(m.expected), raised \(m.raised), matched \(m.matched) (same trigger \(m.sameTrigger)), missed \(m.missed), unexpected \(m.unexpected)\n"
        if !ours.unscored.isEmpty { out += "  not scored (no truth kind): \(ours.unscored.sorted { $0.key < $1.key })\n" }
        return out
    }
}

extension DetectionEvent {
    var detected: DetectedEvent? {
        switch self {
        case .transaction(let t):
            DetectedEvent(kind: t.kind.rawValue, vehicle: t.vehicleID, startMs: t.startedAt, endMs: t.endedAt, volumeL: t.volumeL)
        case .anomaly(let a):
            DetectedEvent(kind: a.kind.rawValue, vehicle: a.vehicleID, startMs: a.ts)
        case .maintenance(let m):
            DetectedEvent(kind: "maintenance", vehicle: m.vehicleID, startMs: m.ts, service: m.service, trigger: m.trigger.rawValue,
                          level: m.level.rawValue)
        }
    }
}
