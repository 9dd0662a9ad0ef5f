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
                // The pipeline flags device times ahead of receipt as clock_skew and keeps them from
                // the detectors; here receipt is the publish time.
                for r in decoded.readings where r.ts <= m.publishAtMs + Self.skewToleranceMs {
                    perVehicle[Int(m.vehicle)].append(r)
                }
            }
        }
        truth = sim.truth()
        let order = Channel.allCases
        var ourDetected: [DetectedEvent] = []
        var naiveDetected: [DetectedEvent] = []
        for (i, var rs) in perVehicle.enumerated() {
            let spec = sim.specs[i]
            readings += rs.count
            // The whole stream is known: device-time order (ties by channel), no reorder window.
            rs.sort { a, b in a.ts != b.ts ? a.ts < b.ts : order.firstIndex(of: a.channel)! < order.firstIndex(of: b.channel)! }
            var det = FuelDetector(vehicleID: spec.id, capacityL: spec.tankL)
            var naive = NaiveFuelDetector()
            for r in rs {
                for e in det.process(r) { ourDetected.append(e.detected) }
                if let l = r.fuelL ?? r.fuelPct.map({ $0 / 100 * spec.tankL }), let n = naive.process(level: l, ts: r.ts) {
                    naiveDetected.append(DetectedEvent(kind: n.kind, vehicle: spec.id, startMs: n.start, endMs: n.end, volumeL: n.volume))
                }
            }
            for e in det.finish() { ourDetected.append(e.detected) }
            maxStateBytes = max(maxStateBytes, det.approximateBytes)
        }
        ourEvents = ourDetected
        ours = Scorer.score(truth: truth, detected: ourDetected)
        naive = Scorer.score(truth: truth, detected: naiveDetected)
    }

    static let skewToleranceMs: Int64 = 60_000
    static let kinds = ["refuel", "drain", "drain:parked", "drain:moving", "fuel_sensor_stuck", "fuel_dropout"]

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
        return out
    }
}

extension FuelEvent {
    var detected: DetectedEvent {
        switch self {
        case .transaction(let t):
            DetectedEvent(kind: t.kind.rawValue, vehicle: t.vehicleID, startMs: t.startedAt, endMs: t.endedAt, volumeL: t.volumeL)
        case .anomaly(let a):
            DetectedEvent(kind: a.kind.rawValue, vehicle: a.vehicleID, startMs: a.ts)
        }
    }
}
