import ArgumentParser
import FleetIngest
import FleetSim

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Compare what fleetd wrote (contract §3) with a scenario's truth.",
        discussion: """
            A detection matches a true event of the same kind and vehicle when its time (or interval)
            overlaps the true interval widened by --tolerance on both sides (clock_skew also by the skew).
            Precision = matched detections / detections; recall = true events with a match / true events.
            Maintenance alerts match on vehicle, service and level within --maintenance-tolerance.
            """
    )

    @Option(help: "Truth file written by 'fleet-sim scenario'.") var truth: String
    @Option(help: "fleetd's database.") var postgresUrl: String = ""
    @Option(help: "Match tolerance, seconds.") var tolerance: Double = 600
    @Option(help: "Maintenance alert time tolerance, seconds.") var maintenanceTolerance: Double = 86_400
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let file = try TruthFile.read(path: truth)
        let conn = try PGConnection(postgresUrl)
        var notes: [String] = []
        let detected = try DetectedLoader.load(from: conn, truth: file, notes: &notes)
        var options = Scorer.Options()
        options.toleranceMs = Int64(tolerance * 1000)
        options.maintenanceToleranceMs = Int64(maintenanceTolerance * 1000)
        var report = Scorer.score(truth: file.events, detected: detected, options: options)
        report.notes += notes
        print(json ? try report.json() : report.table())
    }
}
