import FleetCore
import FleetIngest
import FleetTestSupport
import Foundation
import Mosquitto
import Testing
@testable import FleetSim

extension PrivateBroker {
    /// Subscribes with mosquitto_sub until `count` messages arrived (or 20 s passed); returns lines "topic payload".
    func subscribe(count: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        p.arguments = ["-h", "127.0.0.1", "-p", String(port), "-t", "fleet/#", "-q", "1", "-v", "-C", String(count), "-W", "20"]
        p.standardOutput = Pipe()
        try p.run()
        Thread.sleep(forTimeInterval: 0.3)
        return p
    }
}

@Suite(.serialized) struct BrokerTests {
    @Test(.enabled(if: PrivateBroker.available)) func scenarioPublishesEveryMessageIntact() throws {
        let broker = try PrivateBroker()
        var config = smallConfig(.backlog, vehicles: 10, hours: 6)
        config.name = "broker-test"
        let expected = SimRun(config).messages
        let sub = try broker.subscribe(count: expected.count)
        var sim = FleetSimulation(config: config)
        let publisher = try MQTTPublisher(settings: MQTTSettings(port: Int(broker.port), clientID: "sim-test"), qos: 1)
        let stats = try ScenarioRunner(config: config, speed: 0).run(publisher: publisher, sim: &sim)
        #expect(stats.messages == expected.count && stats.acknowledged == expected.count)
        let out = (sub.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
        sub.waitUntilExit()
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == expected.count)
        // Same multiset of topic+payload as the pure core produced.
        let got = lines.map(String.init).sorted()
        let want = expected.map { "\($0.topic) \(String(decoding: $0.payload, as: UTF8.self))" }.sorted()
        #expect(got == want)
    }

    @Test(.enabled(if: PrivateBroker.available)) func loadStopsByCountAndIsAcknowledged() throws {
        let broker = try PrivateBroker()
        for qos in [0, 1] {
            var c = LoadConfig()
            c.broker = MQTTSettings(port: Int(broker.port), clientID: "sim")
            c.vehicles = 50
            c.count = 5_000
            c.qos = qos
            c.batch = qos == 1 ? 10 : 1
            c.firstTsMs = fixedStart
            let r = LoadGenerator.run(c)
            #expect(r.errors.isEmpty)
            #expect(r.readings == 5_000)
            #expect(r.acknowledged == r.messages)
        }
    }

    @Test(.enabled(if: PrivateBroker.available)) func loadHonoursRateAndDuration() throws {
        let broker = try PrivateBroker()
        var c = LoadConfig()
        c.broker = MQTTSettings(port: Int(broker.port), clientID: "sim")
        c.rate = 2_000
        c.durationSeconds = 1
        let r = LoadGenerator.run(c)
        #expect(r.seconds < 3)
        #expect(r.readings > 1_500 && r.readings < 2_600, "\(r.readings) readings in \(r.seconds) s")
    }

    @Test func unreachableBrokerIsAnErrorNotAHang() {
        let start = Date()
        #expect(throws: MQTTError.self) {
            _ = try MQTTPublisher(settings: MQTTSettings(port: 1, clientID: "x"), qos: 1, connectTimeout: 1)
        }
        #expect(Date().timeIntervalSince(start) < 5)
    }
}
