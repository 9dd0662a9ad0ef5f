import ArgumentParser
import FleetSim
import Foundation

/// `fleet-sim bench-decoder`: fleetd's payload decoder against Foundation's JSON decoders, one core.
struct BenchDecoderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-decoder",
        abstract: "Measure fleetd's payload decoder on one core next to Foundation's JSON decoders (same messages, same run).")

    @Option(help: "Distinct messages (80 % single readings, 20 % arrays of 20).") var messages: Int = 20_000
    @Option(help: "Seconds each decoder runs at least.") var seconds: Double = 3

    func run() throws {
        let corpus = DecoderBench.messages(count: messages)
        let results = DecoderBench.run(messages: corpus, minSeconds: seconds)
        let base = results.last { $0.name.contains("JSONDecoder") }?.readingsPerSecond ?? 1
        print(String(format: "%-36@ %14@ %10@", "decoder" as NSString, "readings/s" as NSString, "vs Codable" as NSString))
        for r in results {
            print(String(format: "%-36@ %14.0f %9.1fx", r.name as NSString, r.readingsPerSecond, r.readingsPerSecond / base))
        }
    }
}
