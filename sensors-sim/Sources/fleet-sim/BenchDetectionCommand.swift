import ArgumentParser
import FleetCore
import FleetIngest
import FleetSim
import Foundation

/// `fleet-sim bench-detection`: fleetd's detection stage next to its decoder, one core, same traffic.
struct BenchDetectionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-detection",
        abstract: "Measure fleetd's detectors on one core next to its payload decoder (same simulated traffic, same run).")

    @Option(help: "Simulated vehicles (realistic scenario).") var vehicles: Int = 200
    @Option(help: "Simulated days.") var days: Double = 0.5
    @Option(help: "Seconds each stage runs at least.") var seconds: Double = 3
    @Option(help: "Reporting period while moving, seconds (trackers send every 1–30 s).") var movingPeriod: Double = 10
    @Flag(help: "Run the detectors without the scenario's maintenance plans (what the plans cost, by difference).") var noPlans = false

    func run() throws {
        var config = NamedScenario.realistic.config(seed: 1, vehicles: vehicles, days: days)
        config.movingPeriodMs = Int64(movingPeriod * 1000)
        let traffic = DetectionBench.traffic(config)
        let sim = FleetSimulation(config: config)
        let capacities = Dictionary(uniqueKeysWithValues: sim.specs.map { ($0.id, $0.tankL) })
        let results = DetectionBench.run(messages: traffic.messages, readings: traffic.readings, capacities: capacities,
                                         book: noPlans ? nil : InProcessEvaluation.book(sim), minSeconds: seconds)
        print("one core, \(traffic.readings.count) readings of \(vehicles) vehicles × \(days) d (realistic, every \(movingPeriod) s while moving)")
        let json = JSONEncoder()
        let plist = PropertyListEncoder()
        plist.outputFormat = .binary
        let encoders: [(String, (VehicleState) -> Int)] = [
            ("JSONEncoder", { (try? json.encode($0).count) ?? 0 }),
            ("PropertyListEncoder binary", { (try? plist.encode($0).count) ?? 0 }),
            ("fleetd BinaryState", { (try? BinaryState.encode($0).count) ?? 0 }),
        ]
        defer {
            for (name, encode) in encoders {
                let snap = DetectionBench.snapshot(readings: traffic.readings, capacities: capacities, encode: encode)
                print(String(format: "snapshot, %@: %d vehicles, %.0f bytes/vehicle, %.1f µs/vehicle", name, snap.vehicles,
                             Double(snap.bytes) / Double(max(snap.vehicles, 1)), snap.seconds * 1e6 / Double(max(snap.vehicles, 1))))
            }
        }
        for r in results {
            print(r.name.padding(toLength: 36, withPad: " ", startingAt: 0)
                  + String(format: " %12.0f readings/s  %6.2f µs/reading", r.readingsPerSecond, 1e6 / r.readingsPerSecond))
        }
    }
}
