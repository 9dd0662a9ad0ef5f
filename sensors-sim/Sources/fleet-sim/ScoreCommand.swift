import ArgumentParser
import FleetIngest
import FleetSim
import LibPQ

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Compare what fleetd wrote (its event tables) with a scenario's truth.",
        discussion: """
            A detection matches a true event of the same kind and vehicle when its time (or interval)
            overlaps the true interval widened by --tolerance on both sides (clock_skew also by the skew).
            Precision = matched detections / detections; recall = true events with a match / true events.
            Maintenance alerts match on vehicle, service and level within --maintenance-tolerance.
            --naive scores a Traccar-style baseline instead: per vehicle, each stored fuel level (readings, device-time
            order) against the previous one; a rise ≥ 5 L is a refuel, a drop ≥ 8 L a drain.
            --side-by-side prints fleetd's and the baseline's scores in one table.
            """
    )

    @Option(help: "Truth file written by 'fleet-sim scenario'.") var truth: String
    @Option(help: "fleetd's database.") var postgresUrl: String = ""
    @Option(help: "Match tolerance, seconds.") var tolerance: Double = 600
    @Option(help: "Maintenance alert time tolerance, seconds.") var maintenanceTolerance: Double = 86_400
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "Score the naive baseline (level steps in readings) instead of fleetd's detections.") var naive = false
    @Flag(help: "Score fleetd and the naive baseline, in one table.") var sideBySide = false

    func validate() throws {
        if naive && sideBySide { throw ValidationError("--naive and --side-by-side exclude each other") }
    }

    func run() throws {
        let file = try TruthFile.read(path: truth)
        let conn = try PGConnection(postgresUrl)
        var options = Scorer.Options()
        options.toleranceMs = Int64(tolerance * 1000)
        options.maintenanceToleranceMs = Int64(maintenanceTolerance * 1000)
        options.runEndMs = file.endMs
        var notes: [String] = []
        let ours = naive ? nil : try DetectedLoader.load(from: conn, truth: file, notes: &notes)
        let baseline = naive || sideBySide ? try NaiveLoader.load(from: conn, truth: file) : nil
        var report: ScoreReport?
        if let ours {
            report = Scorer.score(truth: file.events, detected: ours, options: options)
            report?.notes += notes
        }
        var naiveReport: ScoreReport?
        if let baseline {
            naiveReport = Scorer.score(truth: file.events, detected: baseline.detected, options: options).fuelTransactionsOnly()
            naiveReport?.notes.append("naive baseline: \(baseline.levels) fuel levels from readings; it finds refuels and drains only")
        }
        if let report, let naiveReport {
            let both = SideBySideReport(ours: report, naive: naiveReport, naiveLevels: baseline?.levels ?? 0)
            print(json ? try both.json() : both.table())
        } else if let r = report ?? naiveReport {
            print(json ? try r.json() : r.table())
        }
    }
}
