import FleetIngest
import Foundation
import Testing

/// Settings resolve flags > environment > config file > defaults, and bad values name their key.
@Suite struct ConfigTests {
    func file(_ json: String) throws -> String {
        let path = NSTemporaryDirectory() + "fleetd-config-\(UUID().uuidString).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaults() async throws {
        let c = try await FleetConfig.resolve(flags: [:], environment: [:], configFile: nil)
        #expect(c.mqtt.host == "127.0.0.1" && c.mqtt.port == 1883 && !c.mqtt.tls)
        #expect(c.mqtt.clientID.hasPrefix("fleetd-"))
        #expect(c.mqtt.topics == ["fleet/+/telemetry", "fleet/+/fuel", "fleet/+/odometer", "fleet/+/gps"])
        #expect(c.adminHost == "127.0.0.1" && c.adminPort == 9410)
        #expect(c.spoolPath == "./fleetd.spool" && c.spoolSize == 256 << 20)
        #expect(c.pipeline.batchSize == 5000 && c.pipeline.batchDelay == .milliseconds(100))
        #expect(c.pipeline.postgresURL == "" && c.pipeline.schema == "public")
        #expect(c.pipeline.limits.maxBytes == 256 * 1024 && c.pipeline.limits.maxReadings == 1000)
        #expect(c.pipeline.reorderWindow == .seconds(10))
        #expect(c.events?.prefix == "fleetd/events" && c.events?.mqtt.clientID == c.mqtt.clientID + "-events")
    }

    /// Events go out on a connection of their own, to the same broker as the same user; or not at all.
    @Test func eventPublishingFollowsTheBrokerSettingsOrIsOff() async throws {
        let c = try await FleetConfig.resolve(flags: ["mqtt-url": "mqtts://ops@broker:8883", "client-id": "f1", "event-topic-prefix": "acme/events"],
                                              environment: [:], configFile: nil)
        #expect(c.events?.prefix == "acme/events" && c.events?.mqtt.host == "broker" && c.events?.mqtt.tls == true)
        #expect(c.events?.mqtt.username == "ops" && c.events?.mqtt.clientID == "f1-events")
        let off = try await FleetConfig.resolve(flags: ["publish-events": "off"], environment: [:], configFile: nil)
        #expect(off.events == nil)
    }

    /// A `$share` group splits each vehicle's stream round-robin: refused while detecting in process;
    /// accepted for ingest only, or with detection shared by partition.
    @Test func aSharedSubscriptionIsRefusedWithDetectionInProcess() async throws {
        let shared = "$share/fleetd/fleet/+/telemetry,$share/fleetd/fleet/+/fuel"
        await #expect(throws: FleetConfig.Invalid.self) {
            _ = try await FleetConfig.resolve(flags: ["mqtt-topics": shared], environment: [:], configFile: nil)
        }
        do {
            _ = try await FleetConfig.resolve(flags: ["mqtt-topics": shared], environment: [:], configFile: nil)
        } catch {
            #expect("\(error)".contains("--partitions") && "\(error)".contains("--role ingest") && "\(error)".contains("$share/fleetd/fleet/+/telemetry"))
        }
        let detectionOff = try await FleetConfig.resolve(flags: ["mqtt-topics": shared, "detection": "off"], environment: [:], configFile: nil)
        #expect(detectionOff.mqtt.topics.count == 2 && !detectionOff.detects)
        let ingestOnly = try await FleetConfig.resolve(flags: ["mqtt-topics": shared, "role": "ingest"], environment: [:], configFile: nil)
        #expect(ingestOnly.ingests && !ingestOnly.detects)
        let partitioned = try await FleetConfig.resolve(flags: ["mqtt-topics": shared, "partitions": "16", "client-id": "a"], environment: [:], configFile: nil)
        #expect(partitioned.ingests && !partitioned.pipeline.detection && partitioned.shared?.partitions == 16 && partitioned.shared?.instance == "a")
    }

    @Test func rolesAndPartitions() async throws {
        let lone = try await FleetConfig.resolve(flags: [:], environment: [:], configFile: nil)
        #expect(lone.role == .all && lone.ingests && lone.pipeline.detection && lone.shared == nil)
        let detector = try await FleetConfig.resolve(flags: ["role": "detect", "partitions": "8"], environment: [:], configFile: nil)
        #expect(!detector.ingests && detector.detects && detector.shared?.partitions == 8)
        for bad: [String: String] in [["role": "detect"], ["role": "both"], ["partitions": "-1"], ["partitions": "5000"],
                                      ["role": "detect", "partitions": "8", "detection": "off"]] {
            await #expect(throws: FleetConfig.Invalid.self, "\(bad)") {
                _ = try await FleetConfig.resolve(flags: bad, environment: [:], configFile: nil)
            }
        }
        do {
            _ = try await FleetConfig.resolve(flags: ["role": "detect"], environment: [:], configFile: nil)
        } catch {
            #expect("\(error)".contains("--partitions N"), "says what to do")
        }
    }

    @Test func flagsBeatEnvironmentBeatFileBeatDefaults() async throws {
        let path = try file(#"{"batch-size": 10, "batch-delay": "1s", "spool-path": "/file/spool", "mqtt-url": "mqtts://file:8883"}"#)
        defer { unlink(path) }
        let c = try await FleetConfig.resolve(
            flags: ["batch-size": "30"],
            environment: ["FLEETD_BATCH_SIZE": "20", "FLEETD_BATCH_DELAY": "250ms"],
            configFile: path)
        #expect(c.pipeline.batchSize == 30)
        #expect(c.pipeline.batchDelay == .milliseconds(250))
        #expect(c.spoolPath == "/file/spool")
        #expect(c.mqtt.tls && c.mqtt.host == "file" && c.mqtt.port == 8883)
        #expect(c.adminPort == 9410)
    }

    @Test func passwordComesFromAFileAndIsNeverSummarised() async throws {
        let secret = NSTemporaryDirectory() + "pw-\(UUID().uuidString)"
        try "s3cret\n".write(toFile: secret, atomically: true, encoding: .utf8)
        defer { unlink(secret) }
        let c = try await FleetConfig.resolve(
            flags: ["mqtt-password-file": secret, "mqtt-username": "fleet", "postgres-url": "postgresql://u:pgpass@db/fleet"],
            environment: [:], configFile: nil)
        #expect(c.mqtt.password == "s3cret")
        let summary = c.summary.map { "\($0.value)" }.joined(separator: " ")
        #expect(!summary.contains("s3cret") && !summary.contains("pgpass"))
        #expect(FleetConfig.redactedConninfo("host=db password=x user=u") == "host=db password=<hidden> user=u")
    }

    @Test(arguments: [
        ("batch-size", "lots"), ("batch-size", "0"), ("batch-delay", "soon"), ("spool-size", "1KiB"),
        ("mqtt-url", "http://x"), ("admin-addr", "9410"), ("log-level", "loud"), ("spool-high-water", "2"),
        ("mqtt-password-file", "/nonexistent/pw"), ("publish-events", "maybe"),
        // Units write under fleet/: a prefix there would let them forge events.
        ("event-topic-prefix", "fleet/events"), ("event-topic-prefix", "fleetd/#"), ("event-topic-prefix", ""),
    ])
    func badValuesNameTheirKey(key: String, value: String) async {
        do {
            _ = try await FleetConfig.resolve(flags: [key: value], environment: [:], configFile: nil)
            Issue.record("\(key)=\(value) was accepted")
        } catch let invalid as FleetConfig.Invalid {
            #expect(invalid.key == key)
            #expect(invalid.description.contains("--\(key)"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aNumberInTheFileWhereTextIsExpectedStillWorks() async throws {
        let path = try file(#"{"spool-size": 8388608, "spool-high-water": 0.5}"#)
        defer { unlink(path) }
        let c = try await FleetConfig.resolve(flags: [:], environment: [:], configFile: path)
        #expect(c.spoolSize == 8 << 20)
        #expect(c.spoolHighWater == 0.5)
    }

    @Test func aMissingConfigFileIsAnError() async {
        await #expect(throws: FleetConfig.Invalid.self) {
            _ = try await FleetConfig.resolve(flags: [:], environment: [:], configFile: "/nonexistent/fleetd.json")
        }
    }
}
