import ArgumentParser
import FleetCore
import FleetSim
import Foundation

/// `fleet-sim evaluate`: fleetd's detection stage on a simulated fleet in one process, scored.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Run fleetd's detection stage on a simulated fleet in-process and score it against the truth.",
        discussion: """
            The same stage as the daemon (decoder, reorder window, detectors, maintenance) fed every message in \
            publish order with the publish time as the receiving clock, without MQTT or PostgreSQL: 500 vehicles × \
            3 days take minutes. Scores as 'fleet-sim score --side-by-side' does (±600 s matching), then lists \
            fleetd's false and missed fuel events with their details. Deterministic for a given seed.
            """
    )

    @Argument(help: "Scenario: a named one or a case of the evaluation matrix (drain-stress, fault-stress, …).") var name: String = NamedScenario.realistic.rawValue
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Number of vehicles.") var vehicles: Int = 500
    @Option(help: "Simulated days.") var days: Double = 3
    @Option(help: "Simulated start, RFC 3339 (default 2026-01-01T00:00:00Z; 'fleet-sim scenario' and score.sh start at now minus --days).")
    var start: String?
    @Option(help: "Parked thefts per vehicle-day (default: the scenario's).") var drainParked: Double?
    @Option(help: "Thefts and leaks while driving per vehicle-day (default: the scenario's).") var drainMoving: Double?
    @Option(help: "Multiply the scenario's fuel-probe noise and slosh by this.") var noiseScale: Double = 1
    @Option(help: "The world's physics: standard, or hilly-capacitive (hills, cylinder tanks read through a tank table, capacitive probes that drift with engine heat, trailers, cold starts). --matrix runs both.")
    var physics: String = PhysicsModel.standard.rawValue
    @Option(help: "Reorder window, seconds.") var reorderWindow: Double = 10
    @Option(help: "When fleetd receives the messages: live (as published), backlog[:MSGS_PER_S] (all after the run, default 40000/s) or replay[:SPEED] (published SPEED× faster than real time, default 1300). Several, comma-separated: each is scored and its events compared with the first's.")
    var pace: String = "live"
    @Option(help: "List at most this many false and missed events.") var misses: Int = 40
    @Option(help: "Print this vehicle's readings, truth and fleetd's events (with --from and --to).") var trace: String?
    @Option(help: "Trace from this time, RFC 3339.") var from: String?
    @Option(help: "Write SVG pictures of the fuel level with true and detected events into this folder: --trace's vehicle (between --from and --to), else one per false or missed refuel or drain (the first --plots, 3 h either side).")
    var plot: String?
    @Option(help: "With --plot and no --trace: at most this many pictures.") var plots: Int = 12
    @Option(help: "Trace to this time, RFC 3339.") var to: String?
    @Flag(help: "Run every case of the evaluation matrix (the scenarios above plus noisier variants) for each of --seeds, print README's table, judge each case and the pooled counts by the bar; exit 1 if any falls short.")
    var matrix = false
    @Option(help: "With --matrix: comma-separated seeds.") var seeds: String = "1"
    @Flag(help: "Also make up fuel card purchases from the truth (honest, short by 10–40 %, card used away from the vehicle, cash fills without one) and score fleetd's purchase checks next to the naive rule.")
    var purchases = false

    func validate() throws {
        guard PhysicsModel(rawValue: physics) != nil else {
            throw ValidationError("unknown --physics '\(physics)'; one of: \(PhysicsModel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard EvaluationCase(rawValue: name) != nil else {
            throw ValidationError("unknown scenario '\(name)'; one of: \(EvaluationCase.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard vehicles >= 1 && vehicles <= 99_999 else { throw ValidationError("--vehicles must be 1…99999") }
        guard days > 0 && days <= 60 else { throw ValidationError("--days must be in (0, 60]") }
        guard noiseScale >= 0 && noiseScale <= 10 else { throw ValidationError("--noise-scale must be in [0, 10]") }
        for rate in [drainParked, drainMoving].compactMap({ $0 }) where !(0...10).contains(rate) {
            throw ValidationError("theft rates must be in [0, 10] per vehicle-day")
        }
        for t in [from, to, start].compactMap({ $0 }) where RFC3339.parse(t) == nil {
            throw ValidationError("--start, --from and --to must be RFC 3339, e.g. 2026-01-02T12:00:00Z")
        }
        guard !matrix || seedList != nil else { throw ValidationError("--seeds must be comma-separated integers") }
        guard reorderWindow >= 0 && reorderWindow <= 600 else { throw ValidationError("--reorder-window must be in [0, 600] s") }
        guard paces != nil else { throw ValidationError("--pace must be live, backlog[:MSGS_PER_S] or replay[:SPEED], or several of them comma-separated") }
    }

    func run() throws {
        if matrix { return try runMatrix() }
        var config = EvaluationCase(rawValue: name)!.config(seed: seed, vehicles: vehicles, days: days,
                                                             startMs: start.flatMap(RFC3339.parse) ?? MatrixRun.defaultStartMs,
                                                             physics: PhysicsModel(rawValue: physics)!)
        if let drainParked { config.faults.drainParked = drainParked }
        if let drainMoving { config.faults.drainMoving = drainMoving }
        config.sensors.fuelNoise *= noiseScale
        config.sensors.slosh *= noiseScale
        var first: InProcessEvaluation?
        for arrival in paces! {
            let e = InProcessEvaluation(label: "\(name) seed \(seed), \(vehicles) vehicles × \(days) d, received \(arrival)", config: config,
                                        windowMs: Int64(reorderWindow * 1000), pace: arrival, trace: Set(trace.map { [$0] } ?? []),
                                        purchases: purchases)
            report(e)
            if let plot, first == nil { try writePlots(e, config: config, arrival: arrival, into: plot) }
            if let first {
                let agreement = EventAgreement(first.detectedEvents, e.detectedEvents, toleranceMs: EventAgreement.paceToleranceMs)
                print("events received \(paces![0]) against \(arrival): \(agreement.summary)\n")
            } else {
                first = e
            }
        }
    }

    func report(_ e: InProcessEvaluation) {
        print("\(e.label), noise ×\(noiseScale): \(e.readings) readings, largest fuel detector state ≈ \(e.maxStateBytes) B")
        print(e.report.table())
        if let p = e.purchases { print(p.table + "\n") }
        let listed = e.misses()
        if !listed.isEmpty {
            print("fleetd's false (FP) and missed (FN) events:")
            print(listed.prefix(misses).map { "  " + $0 }.joined(separator: "\n")
                  + (listed.count > misses ? "\n  … \(listed.count - misses) more" : ""))
        }
        if let trace {
            let lines = e.traceLines(vehicle: trace, fromMs: from.flatMap(RFC3339.parse) ?? .min, toMs: to.flatMap(RFC3339.parse) ?? .max)
            print("\(trace): \(lines.count) lines (F = fleetd, T = truth)")
            print(lines.joined(separator: "\n"))
        }
    }

    /// The pictures `--plot` asks for; misses need their vehicles' readings, so the run is repeated
    /// (deterministic: the same events) with those vehicles traced.
    func writePlots(_ e: InProcessEvaluation, config: ScenarioConfig, arrival: ArrivalPace, into dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var pictures: [(name: String, plot: FuelPlot)] = []
        if let trace {
            pictures.append((trace, e.plot(vehicle: trace, fromMs: from.flatMap(RFC3339.parse) ?? config.startMs,
                                           toMs: to.flatMap(RFC3339.parse) ?? config.endMs)))
        } else {
            let misses = Array(e.missList(kinds: ["refuel", "drain"]).prefix(max(0, plots)))
            guard !misses.isEmpty else { return print("no false or missed refuel or drain to plot") }
            let traced = InProcessEvaluation(label: e.label, config: config, windowMs: Int64(reorderWindow * 1000), pace: arrival,
                                             trace: Set(misses.map(\.vehicle)))
            for m in misses {
                let stamp = Timestamp.formatRFC3339(ms: m.startMs).prefix(19).replacingOccurrences(of: ":", with: "")
                pictures.append(("\(m.tag)-\(m.kind)-\(m.vehicle)-\(stamp)",
                                 traced.plot(vehicle: m.vehicle, fromMs: m.startMs - 3 * 3_600_000, toMs: m.endMs + 3 * 3_600_000)))
            }
        }
        for p in pictures {
            let path = (dir as NSString).appendingPathComponent(p.name + ".svg")
            try p.plot.svg().write(toFile: path, atomically: true, encoding: .utf8)
            print("plot: \(path)")
        }
    }

    var paces: [ArrivalPace]? {
        let list = pace.split(separator: ",").map { ArrivalPace(argument: $0.trimmingCharacters(in: .whitespaces)) }
        return list.isEmpty || list.contains(nil) ? nil : list.compactMap { $0 }
    }

    var seedList: [UInt64]? {
        let parts = seeds.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        return parts.isEmpty || parts.contains(nil) ? nil : parts.compactMap { $0 }
    }

    func runMatrix() throws {
        let startMs = start.flatMap(RFC3339.parse) ?? MatrixRun.defaultStartMs
        var pooled = PooledScore()
        var shortfalls: [String] = []
        print("\(vehicles) vehicles × \(days) d per case; fleet-sim's truth, one detection per true event (±600 s)\n")
        print(MatrixRun.tableHeader)
        for physics in PhysicsModel.allCases {
            for scenario in EvaluationCase.judged {
                for seed in seedList! {
                    let r = MatrixRun(scenario, seed: seed, vehicles: vehicles, days: days, startMs: startMs, physics: physics)
                    print(r.tableRow)
                    pooled.add(r.report, vehicleDays: r.vehicleDays)
                    shortfalls += r.shortfalls.map { "\(r.name): \($0)" }
                }
            }
        }
        print("\n" + pooled.table())
        shortfalls += pooled.shortfalls().map { "pooled: \($0)" }
        if shortfalls.isEmpty {
            print("every case and the pooled counts meet the bar")
        } else {
            print("short of the bar:\n" + shortfalls.map { "  " + $0 }.joined(separator: "\n"))
            throw ExitCode(1)
        }
    }
}
