import ArgumentParser
import FleetIngest
import FleetSim
import Foundation
import Mosquitto

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Publish synthetic readings at a fixed rate or as fast as possible; always stops by itself.",
        discussion: "Stops at --count readings or after --duration seconds, whichever comes first (10 s if neither is given)."
    )

    @Option(help: "Broker URL.") var mqttUrl: String = "mqtt://127.0.0.1:1883"
    @Option(help: "Vehicles (ids v00001…).") var vehicles: Int = 1000
    @Option(help: "Target readings per second (default: as fast as possible).") var rate: Double?
    @Option(help: "Stop after this many seconds.") var duration: Double?
    @Option(help: "Stop after this many readings.") var count: Int?
    @Option(help: "QoS 0 or 1.") var qos: Int = 1
    @Option(help: "Readings per message (>1 publishes store-and-forward arrays).") var batch: Int = 1
    @Option(help: "Parallel MQTT connections.") var connections: Int = 1
    @Option(help: "Messages in flight per connection.") var maxInflight: Int = 1000
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        guard MQTTSettings(url: mqttUrl, clientID: "fleet-sim") != nil else { throw ValidationError("--mqtt-url must look like mqtt://host:port") }
        guard qos == 0 || qos == 1 else { throw ValidationError("--qos must be 0 or 1") }
        guard (1...1_000_000).contains(vehicles) else { throw ValidationError("--vehicles must be 1…1000000") }
        guard (1...1000).contains(batch) else { throw ValidationError("--batch must be 1…1000") }
        guard (1...64).contains(connections) else { throw ValidationError("--connections must be 1…64") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be > 0") }
        if let duration, duration <= 0 || duration > 86_400 { throw ValidationError("--duration must be in (0, 86400]") }
        if let count, count <= 0 { throw ValidationError("--count must be > 0") }
    }

    func run() throws {
        var c = LoadConfig()
        c.broker = MQTTSettings(url: mqttUrl, clientID: c.clientIDPrefix)!
        c.vehicles = vehicles
        c.rate = rate
        c.durationSeconds = duration
        c.count = count
        c.qos = qos
        c.batch = batch
        c.connections = connections
        c.maxInflight = maxInflight
        // Device times end about now: each vehicle's readings are 1 s apart.
        let expected = Double(count ?? Int((rate ?? 200_000) * c.effectiveDuration))
        let perVehicle = expected / Double(vehicles) + 60
        c.firstTsMs = Int64(Date().timeIntervalSince1970 * 1000) - Int64(perVehicle * 1000)
        let r = LoadGenerator.run(c)
        if json {
            print("{\"readings\":\(r.readings),\"messages\":\(r.messages),\"bytes\":\(r.bytes),\"seconds\":\(r.seconds),\"readings_per_s\":\(Int(r.readingsPerSecond)),\"qos\":\(qos),\"acknowledged\":\(r.acknowledged),\"refused\":\(r.refused),\"errors\":\(r.errors.count)}")
        } else {
            print(String(format: "load: %d readings in %d messages (%.1f MB) in %.2f s = %.0f readings/s (QoS %d, %d connection(s)); acknowledged %d, refused %d",
                         r.readings, r.messages, Double(r.bytes) / 1e6, r.seconds, r.readingsPerSecond, qos, connections, r.acknowledged, r.refused))
        }
        for e in r.errors { log("error: \(e)") }
        if !r.errors.isEmpty { throw ExitCode(1) }
    }
}
