import ArgumentParser

@main
struct FleetSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet-sim",
        abstract: "Simulated vehicle telematics for fleetd: scenarios with ground truth, load, and scoring.",
        subcommands: [ScenarioCommand.self, LoadCommand.self, ScoreCommand.self, BenchDecoderCommand.self, BenchDetectionCommand.self, EvaluateCommand.self],
        defaultSubcommand: ScenarioCommand.self
    )
}
