import ArgumentParser
import FleetIngest
import FleetSim
import Foundation
import LibPQ
import Mosquitto

struct ScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Simulate a fleet, publish its readings and write what really happened.",
        discussion: """
            Scenarios: \(NamedScenario.allCases.map(\.rawValue).joined(separator: ", ")). \
            Output is deterministic for a given --seed and --start. \
            The truth file is JSON Lines: a 'scenario' header, a line per vehicle, then events with kind, vehicle, \
            start and end (true times, RFC 3339 UTC with ms), volume_l for refuel and drain, and kind-specific fields. \
            See sensors-sim/README.md.
            """
    )

    @Argument(help: "Scenario name.")
    var name: String = NamedScenario.realistic.rawValue

    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Number of vehicles.") var vehicles: Int = 500
    @Option(help: "Simulated days (fractions allowed).") var days: Double = 1
    @Option(help: "Simulated start, RFC 3339 (default: now minus --days, so device times never run ahead of the wall clock).")
    var start: String?
    @Option(help: "Simulated seconds per wall second; 0 = as fast as possible.") var speed: Double = 1440
    @Option(help: "Broker URL.") var mqttUrl: String = "mqtt://127.0.0.1:1883"
    @Option(help: "Publish QoS (0 or 1).") var qos: Int = 1
    @Option(help: "Messages in flight.") var maxInflight: Int = 1000
    @Option(help: "Seed vehicles, maintenance_plans and service_records in this database first.") var postgresUrl: String?
    @Option(help: "Ground truth output file.") var truth: String = "truth.jsonl"
    @Flag(help: "Generate without publishing (measures the simulator; still writes the truth).") var dryRun = false
    @Option(help: "Stop the run after this many wall seconds (safety bound).") var maxWallSeconds: Double = 3600

    func validate() throws {
        guard NamedScenario(rawValue: name) != nil else {
            throw ValidationError("unknown scenario '\(name)'; one of: \(NamedScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard vehicles >= 1 && vehicles <= 99_999 else { throw ValidationError("--vehicles must be 1…99999") }
        guard days > 0 && days <= 366 else { throw ValidationError("--days must be in (0, 366]") }
        guard qos == 0 || qos == 1 else { throw ValidationError("--qos must be 0 or 1") }
        guard speed >= 0 else { throw ValidationError("--speed must be ≥ 0") }
        if let start, RFC3339.parse(start) == nil { throw ValidationError("--start must be RFC 3339, e.g. 2026-01-01T00:00:00Z") }
        guard MQTTSettings(url: mqttUrl, clientID: "fleet-sim") != nil else { throw ValidationError("--mqtt-url must look like mqtt://host:port") }
    }

    func run() throws {
        var config = NamedScenario(rawValue: name)!.config(seed: seed, vehicles: vehicles, days: days)
        if let start {
            config.startMs = RFC3339.parse(start)!
        } else {
            let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
            config.startMs = (nowMs - Int64(days * 86_400_000)) / 1000 * 1000
        }
        var sim = FleetSimulation(config: config)
        if let postgresUrl {
            let conn = try PGConnection(postgresUrl)
            do throws(PGError) {
                try FleetSeeder.seed(sim, into: conn)
            } catch {
                guard error.sqlState == "42P01" else { throw error }
                throw CLIError(description: "seeding failed: \(error.message); create the schema first with 'fleetd migrate --postgres-url …'")
            }
            log("seeded \(sim.specs.count) vehicles, \(sim.plans.count) maintenance plans, \(sim.serviceRecords.count) service records")
        }
        var publisher: MQTTPublisher?
        if !dryRun {
            publisher = try MQTTPublisher(settings: MQTTSettings(url: mqttUrl, clientID: "fleet-sim-\(name)-\(seed)")!, qos: qos, maxInflight: maxInflight)
        }
        log("scenario \(name) seed \(seed): \(vehicles) vehicles, \(days) days from \(RFC3339.format(config.startMs)), speed \(speed == 0 ? "max" : "\(speed)x")")
        var runner = ScenarioRunner(config: config, speed: speed)
        runner.maxWallSeconds = maxWallSeconds
        runner.progress = { log($0) }
        let stats = try runner.run(publisher: publisher, sim: &sim)
        try ScenarioRunner.writeTruth(sim, to: truth)
        let rate = Double(stats.readings) / max(stats.wallSeconds, 1e-9)
        print(String(format: "published %d readings in %d messages (%.1f MB) in %.1f s: %.0f readings/s, %.0fx real time%@",
                     stats.readings, stats.messages, Double(stats.bytes) / 1e6, stats.wallSeconds, rate,
                     stats.simulatedSeconds / max(stats.wallSeconds, 1e-9), dryRun ? " (dry run, not published)" : ""))
        print("distinct readings \(stats.readings - stats.duplicateReadings) (\(stats.duplicateReadings) published twice)")
        if !dryRun { print("broker acknowledged \(stats.acknowledged), refused \(stats.refused)") }
        print("truth: \(truth): " + stats.truthCounts.keys.sorted().map { "\($0)=\(stats.truthCounts[$0]!)" }.joined(separator: " "))
        if stats.stoppedEarly { print("stopped early: --max-wall-seconds reached") }
    }
}

func log(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// A failure to report in one line, without ArgumentParser's usage text.
struct CLIError: Error, CustomStringConvertible {
    var description: String
}
