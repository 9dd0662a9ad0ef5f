import Configuration
import FleetCore
import Foundation
import LibPQ
import Logging
import Mosquitto
import SystemPackage

/// Every setting of `fleetd run`, resolved flags > environment (`FLEETD_…`) > config file
/// (JSON, flat keys named like the flags) > defaults.
public struct FleetConfig: Sendable {
    public var mqtt: MQTTSettings
    public var pipeline: PipelineSettings
    public var adminHost: String
    public var adminPort: Int
    public var spoolPath: String
    public var spoolSize: UInt64
    /// Fraction of the spool above which /readyz fails.
    public var spoolHighWater: Double
    /// `run --spool-reset`: move a damaged spool file aside instead of refusing to start.
    public var spoolReset = false
    /// Where committed events are published over MQTT; nil with `--publish-events off`.
    public var events: EventPublisher.Settings?
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// What this instance does: everything, ingest only, or detection only (`--role`).
    public var role: Role = .all
    /// Detection shared with other instances by partition (`--partitions` above 0); nil when this
    /// instance detects in process from its spool, or not at all.
    public var shared: SharedDetection.Settings?

    public enum Role: String, Sendable {
        /// Ingest, and detect: in process from the spool, or the partitions it owns with `--partitions`.
        case all
        /// Readings only (any number of instances in one `$share` group).
        case ingest
        /// Detection of owned partitions only, reading back what ingest instances stored (needs `--partitions`).
        case detect
    }

    /// Whether this instance runs the MQTT subscriber, the spool and the pipeline.
    public var ingests: Bool { role != .detect }
    /// Whether detectors run here, in process or shared.
    public var detects: Bool { pipeline.detection || shared != nil }

    public enum LogFormat: String, Sendable { case text, json }

    /// An invalid setting: names the key, its flag and variable, and what it expects.
    public struct Invalid: Error, CustomStringConvertible {
        public var key: String
        public var expected: String
        public var got: String?
        public var description: String {
            let env = "FLEETD_" + key.uppercased().replacingOccurrences(of: "-", with: "_")
            let value = got.map { ", got '\(Redaction.text($0))'" } ?? ""
            return "invalid \(key) (--\(key), \(env) or config file): expected \(expected)\(value)"
        }
    }

    /// Resolves every setting. `flags` maps keys to the values given on the command line.
    public static func resolve(flags: [String: String], environment: [String: String] = ProcessInfo.processInfo.environment,
                               configFile: String?) async throws -> FleetConfig {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (k, v) in flags { values[AbsoluteConfigKey([k])] = ConfigValue(.string(v), isSecret: false) }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: values),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: ["fleetd"]),
        ]
        if let configFile {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(configFile)))
            } catch {
                throw Invalid(key: "config", expected: "a readable JSON file of flat keys like {\"mqtt-url\": \"…\"} (\(error))", got: configFile)
            }
        }
        let reader = ConfigReader(providers: providers)
        let source = Source(reader: reader)

        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let mqttURL = try await source.text("mqtt-url") ?? "mqtt://127.0.0.1:1883"
        guard let broker = MQTTSettings.parseURL(mqttURL) else {
            throw Invalid(key: "mqtt-url", expected: "mqtt://host[:port] or mqtts://host[:port]", got: mqttURL)
        }
        var password: String?
        if let file = try await source.text("mqtt-password-file") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw Invalid(key: "mqtt-password-file", expected: "a readable file holding the password", got: file)
            }
            password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        }
        let clientID = try await source.text("client-id") ?? "fleetd-\(host)"
        guard !clientID.isEmpty, clientID.utf8.count <= 65535 else {
            throw Invalid(key: "client-id", expected: "a non-empty MQTT client id", got: clientID)
        }
        let mqtt = MQTTSettings(
            host: broker.host, port: broker.port, tls: broker.tls, clientID: clientID,
            username: try await source.text("mqtt-username") ?? broker.username, password: password,
            caFile: try await source.text("mqtt-ca-file"), certFile: try await source.text("mqtt-cert-file"),
            keyFile: try await source.text("mqtt-key-file"),
            sessionExpiry: UInt32(clamping: try await source.duration("mqtt-session-expiry", default: .seconds(7 * 86_400)).components.seconds),
            receiveMaximum: try await source.int("mqtt-receive-maximum", default: 1000, range: 1...65535),
            topics: try await source.topics())

        let adminText = try await source.text("admin-addr") ?? "127.0.0.1:9410"
        guard let admin = ConfigValueParsers.hostPort(adminText) else {
            throw Invalid(key: "admin-addr", expected: "host:port, e.g. 127.0.0.1:9410", got: adminText)
        }
        let roleText = try await source.text("role") ?? "all"
        guard let role = Role(rawValue: roleText.lowercased()) else {
            throw Invalid(key: "role", expected: "all, ingest or detect", got: roleText)
        }
        let partitions = try await source.int("partitions", default: 0, range: 0...4096)
        let detectionOn = try await source.onOff("detection", default: true)
        if role == .detect && partitions == 0 {
            throw Invalid(key: "role", expected: "all or ingest without --partitions: a detect-only instance owns partitions of the fleet and reads their readings back from PostgreSQL (give --partitions N, the same on every instance)", got: roleText)
        }
        if role == .detect && !detectionOn {
            throw Invalid(key: "detection", expected: "on with --role detect (a detect-only instance does nothing else)", got: "off")
        }
        let maxPayload = try await source.size("max-payload-bytes", default: 256 * 1024, range: 1...(64 << 20))
        let pipeline = PipelineSettings(
            postgresURL: try await source.text("postgres-url") ?? "",
            schema: try await source.text("postgres-schema") ?? "public",
            batchSize: try await source.int("batch-size", default: 5000, range: 1...1_000_000),
            batchDelay: try await source.duration("batch-delay", default: .milliseconds(100)),
            limits: PayloadLimits(maxBytes: Int(maxPayload), maxReadings: try await source.int("max-readings", default: 1000, range: 1...100_000)),
            spoolSyncInterval: try await source.duration("spool-sync-interval", default: .seconds(1)),
            shutdownTimeout: try await source.duration("shutdown-timeout", default: .seconds(10)),
            // In process only for a lone instance: with --partitions the owners read readings back.
            detection: detectionOn && partitions == 0 && role == .all,
            reorderWindow: try await source.duration("reorder-window", default: .seconds(10)),
            snapshotInterval: try await source.duration("snapshot-interval", default: .seconds(30)),
            statementTimeout: try await source.duration("postgres-statement-timeout", default: .seconds(30)),
            rejectBudget: try await source.int("reject-budget", default: 30, range: 0...1_000_000),
            rejectedRetention: try await source.duration("rejected-retention", default: .seconds(14 * 86_400)),
            readingsRetention: try await source.duration("retention", default: .seconds(90 * 86_400)),
            deadLetterRetention: try await source.duration("dead-letter-retention", default: .zero),
            vehicleIdleEvict: try await source.duration("vehicle-idle-evict", default: .seconds(7 * 86_400)))
        // mosquitto hands a `$share` group's messages round-robin: each instance would see part of
        // every vehicle's stream and the instances' detector states would overwrite each other.
        if pipeline.detection, let shared = mqtt.topics.first(where: { $0.hasPrefix("$share/") }) {
            throw Invalid(key: "mqtt-topics", expected: "no $share subscription while detecting in process: a shared subscription splits each vehicle's stream between instances, so their detectors would be wrong (share detection with --partitions N on every instance, or ingest only with --role ingest)", got: shared)
        }
        let sharedDetection = detectionOn && partitions > 0 && role != .ingest
            ? SharedDetection.Settings(partitions: partitions, instance: clientID, pipeline: pipeline) : nil
        var events: EventPublisher.Settings?
        if try await source.onOff("publish-events", default: true) {
            let prefix = try await source.text("event-topic-prefix") ?? EventTopic.defaultPrefix
            if let problem = EventTopic.problem(prefix: prefix) {
                throw Invalid(key: "event-topic-prefix", expected: problem, got: prefix)
            }
            // A connection of its own (clean session): the subscriber's persistent session is keyed by its id.
            var publisherMQTT = mqtt
            publisherMQTT.clientID = String(mqtt.clientID.prefix(65_000)) + "-events"
            events = EventPublisher.Settings(mqtt: publisherMQTT, postgresURL: pipeline.postgresURL, schema: pipeline.schema,
                                             statementTimeout: pipeline.statementTimeout, prefix: prefix)
        }
        let levelText = try await source.text("log-level") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw Invalid(key: "log-level", expected: "trace, debug, info, notice, warning, error or critical", got: levelText)
        }
        let formatText = try await source.text("log-format") ?? "text"
        guard let format = LogFormat(rawValue: formatText.lowercased()) else {
            throw Invalid(key: "log-format", expected: "text or json", got: formatText)
        }
        let highWaterText = try await source.text("spool-high-water") ?? "0.8"
        guard let highWater = Double(highWaterText), highWater > 0, highWater <= 1 else {
            throw Invalid(key: "spool-high-water", expected: "a fraction above 0 and at most 1", got: highWaterText)
        }
        return FleetConfig(
            mqtt: mqtt, pipeline: pipeline, adminHost: admin.host, adminPort: admin.port,
            spoolPath: try await source.text("spool-path") ?? "./fleetd.spool",
            spoolSize: try await source.size("spool-size", default: 256 << 20, range: (4 << 20)...(1 << 40)),
            spoolHighWater: highWater, events: events,
            logLevel: level, logFormat: format, role: role, shared: sharedDetection)
    }

    /// One line per setting for the start-up log; secrets are never printed.
    public var summary: Logger.Metadata {
        [
            "mqtt": "\(mqtt.tls ? "mqtts" : "mqtt")://\(mqtt.host):\(mqtt.port)",
            "client_id": "\(mqtt.clientID)",
            "mqtt_user": "\(mqtt.username ?? "-")",
            "mqtt_password": "\(mqtt.password == nil ? "-" : "<hidden>")",
            "postgres": "\(Self.redactedConninfo(pipeline.postgresURL))",
            "schema": "\(pipeline.schema)",
            "admin": "\(adminHost):\(adminPort)",
            "spool": "\(spoolPath) (\(spoolSize >> 20) MiB)",
            "batch": "\(pipeline.batchSize) rows / \(pipeline.batchDelay)",
            "events": "\(events.map { "mqtt \($0.prefix)/{kind}/{vehicle_id}" } ?? "off")",
            "role": "\(role.rawValue)",
            "detection": "\(shared.map { "shared, \($0.partitions) partitions" } ?? (pipeline.detection ? "in process" : "off"))",
        ]
    }

    /// The connection string for a log line: libpq's defaults named, any password hidden.
    public static func redactedConninfo(_ s: String) -> String {
        s.isEmpty ? "(libpq defaults)" : Redaction.text(s)
    }

    /// Warnings about how secrets are given: on the command line (any local user reads argv) or over
    /// plain `mqtt://`.
    public func secretWarnings(commandLine flags: [String: String]) -> [String] {
        var out: [String] = []
        for key in ["postgres-url", "mqtt-url"] where flags[key].map(Redaction.hasPassword) ?? false {
            out.append("a password is on the command line (--\(key)), where every local user can read it; use PGPASSWORD, ~/.pgpass, --mqtt-password-file or the config file")
        }
        if mqtt.password != nil && !mqtt.tls {
            out.append("the MQTT password goes to the broker in clear text over mqtt://; use mqtts://")
        }
        return out
    }
}

/// Reads a setting as text from whichever provider has it, whatever JSON type the file used,
/// and applies the parsers with errors that name the key.
private struct Source {
    let reader: ConfigReader

    func text(_ key: String) async throws -> String? {
        let k = ConfigKey([key])
        if let s = try? await reader.fetchString(forKey: k) { return s }
        if let i = try? await reader.fetchInt(forKey: k) { return String(i) }
        if let d = try? await reader.fetchDouble(forKey: k) { return String(d) }
        if let b = try? await reader.fetchBool(forKey: k) { return String(b) }
        return nil
    }

    func topics() async throws -> [String] {
        guard let t = try await text("mqtt-topics") else { return MQTTSettings.defaultTopics }
        let topics = t.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !topics.isEmpty, topics.allSatisfy({ !$0.contains("\u{0}") && $0.utf8.count < 65535 }) else {
            throw FleetConfig.Invalid(key: "mqtt-topics", expected: "a comma-separated list of MQTT topic filters", got: t)
        }
        return topics
    }

    func onOff(_ key: String, default value: Bool) async throws -> Bool {
        guard let t = try await text(key) else { return value }
        switch t.lowercased() {
        case "on", "true", "1", "yes": return true
        case "off", "false", "0", "no": return false
        default: throw FleetConfig.Invalid(key: key, expected: "on or off", got: t)
        }
    }

    func int(_ key: String, default value: Int, range: ClosedRange<Int>) async throws -> Int {
        guard let t = try await text(key) else { return value }
        guard let v = Int(t), range.contains(v) else {
            throw FleetConfig.Invalid(key: key, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)", got: t)
        }
        return v
    }

    func duration(_ key: String, default value: Duration) async throws -> Duration {
        guard let t = try await text(key) else { return value }
        guard let d = ConfigValueParsers.duration(t) else {
            throw FleetConfig.Invalid(key: key, expected: "a duration like 250ms, 10s, 5m, 2h or 7d", got: t)
        }
        return d
    }

    func size(_ key: String, default value: UInt64, range: ClosedRange<UInt64>) async throws -> UInt64 {
        guard let t = try await text(key) else { return value }
        guard let s = ConfigValueParsers.size(t), range.contains(s) else {
            throw FleetConfig.Invalid(key: key, expected: "a size like 256MiB or a byte count, from \(range.lowerBound) to \(range.upperBound) bytes", got: t)
        }
        return s
    }
}
