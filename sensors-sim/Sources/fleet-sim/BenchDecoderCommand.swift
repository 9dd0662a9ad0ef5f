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
        func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: n, withPad: " ", startingAt: 0) }
        print(pad("decoder (one core, \(messages) messages)", 40) + "   readings/s  vs Codable")
        for r in results {
            print(pad(r.name, 40) + String(format: " %12.0f %10.1fx", r.readingsPerSecond, r.readingsPerSecond / base))
        }
    }
}
