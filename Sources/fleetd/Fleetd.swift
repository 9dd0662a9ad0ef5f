import ArgumentParser
import FleetIngest
import Foundation
import LibPQ
import Logging

let fleetdVersion = "0.1.0"

@main
struct Fleetd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleetd",
        abstract: "Ingests vehicle telemetry from MQTT into PostgreSQL: nothing lost, nothing doubled.",
        version: fleetdVersion,
        subcommands: [Run.self, Migrate.self, Events.self, ImportPurchases.self],
        defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon (the default). Applies pending migrations first unless --no-migrate.")

    @OptionGroup var options: SettingsOptions
    @Flag(name: .customLong("no-migrate"), help: "Do not apply pending migrations at start.")
    var noMigrate = false
    @Flag(name: .customLong("spool-reset"), help: "If the spool file is damaged, rename it to <path>.damaged-<time> (never delete it) and start with an empty spool.")
    var spoolReset = false

    func run() async throws {
        var config = try await options.resolve()
        config.pipeline.migrate = !noMigrate
        config.spoolReset = spoolReset
        let logger = bootstrapLogging(config)
        for warning in config.secretWarnings(commandLine: options.flags) { logger.warning("\(warning)") }
        do {
            try await Daemon.run(config: config, version: fleetdVersion, logger: logger)
        } catch let error as StartupError {
            logger.critical("\(error.description)")
            throw ExitCode(error.exitCode)
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the SQL migrations compiled into fleetd, idempotently.")

    @OptionGroup var options: SettingsOptions

    func run() async throws {
        let config = try await options.resolve()
        let logger = bootstrapLogging(config)
        do {
            let db = try PGConnection(config.pipeline.postgresURL)
            let applied = try Migrator(schema: config.pipeline.schema, logger: logger).migrate(db)
            print(applied.isEmpty ? "fleetd: schema is up to date" : "fleetd: applied migrations \(applied.map(String.init).joined(separator: ", "))")
        } catch {
            FileHandle.standardError.write(Data("fleetd: migrate failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Every setting as an optional text flag, so environment and config file can fill what the
/// command line leaves out.
struct SettingsOptions: ParsableArguments {
    @Option(help: "Optional JSON config file of flat keys named like the flags.") var config: String?
    @Option(help: "Broker URL; mqtts:// means TLS (default mqtt://127.0.0.1:1883).") var mqttUrl: String?
    @Option(help: "MQTT client id; the persistent session is keyed by it (default fleetd-<hostname>).") var clientId: String?
    @Option(help: "MQTT username.") var mqttUsername: String?
    @Option(help: "File whose first line is the MQTT password.") var mqttPasswordFile: String?
    @Option(help: "CA certificate (PEM) for mqtts://; default: the system's.") var mqttCaFile: String?
    @Option(help: "Client certificate (PEM) for mqtts://.") var mqttCertFile: String?
    @Option(help: "Client key (PEM) for mqtts://.") var mqttKeyFile: String?
    @Option(help: "How long the broker keeps fleetd's session while away (default 7d).") var mqttSessionExpiry: String?
    @Option(help: "QoS 1 messages the broker may have in flight to fleetd (default 1000).") var mqttReceiveMaximum: String?
    @Option(help: "Comma-separated subscriptions (default fleet/+/telemetry,fleet/+/fuel,fleet/+/odometer,fleet/+/gps). A $share subscription needs --partitions or --role ingest: it splits each vehicle's stream between instances.") var mqttTopics: String?
    @Option(help: "libpq URI or conninfo (default: libpq's defaults and PG* variables).") var postgresUrl: String?
    @Option(help: "Schema holding fleetd's tables (default public).") var postgresSchema: String?
    @Option(help: "Admin HTTP listen address (default 127.0.0.1:9410).") var adminAddr: String?
    @Option(help: "The durable spool file (default ./fleetd.spool).") var spoolPath: String?
    @Option(help: "Spool ring size, e.g. 256MiB (default 256MiB).") var spoolSize: String?
    @Option(help: "Spool fill fraction above which /readyz fails (default 0.8).") var spoolHighWater: String?
    @Option(help: "How often the spool is flushed to disk (default 1s).") var spoolSyncInterval: String?
    @Option(help: "Rows per PostgreSQL transaction at most (default 5000).") var batchSize: String?
    @Option(help: "Longest a batch waits to fill (default 100ms).") var batchDelay: String?
    @Option(help: "Largest accepted MQTT message (default 256KiB).") var maxPayloadBytes: String?
    @Option(help: "Most readings in one array message (default 1000).") var maxReadings: String?
    @Option(help: "How late a reading may arrive and still be put in order (default 10s).") var reorderWindow: String?
    @Option(help: "Run the detectors: on or off (readings only) (default on).") var detection: String?
    @Option(help: "all (ingest and detect), ingest (readings only) or detect (owned partitions only, needs --partitions) (default all).") var role: String?
    @Option(help: "Share detection among instances: vehicles fall into this many partitions, each detected by one live instance that reads its readings back from PostgreSQL; the same on every instance (default 0: detect in process from the spool).") var partitions: String?
    @Option(help: "How often detector state is stored; a restart replays at most this much (default 30s).") var snapshotInterval: String?
    @Option(help: "How long shutdown waits for PostgreSQL before leaving the rest for replay (default 10s).") var shutdownTimeout: String?
    @Option(help: "statement_timeout for fleetd's PostgreSQL session unless the URL sets one (default 30s; 0s: none). A write blocked longer is retried and /readyz reports it.") var postgresStatementTimeout: String?
    @Option(help: "Refused messages stored per vehicle and minute in rejected_messages; beyond, only the metrics count them (default 30; 0: none stored).") var rejectBudget: String?
    @Option(help: "Days of readings (by device time) older than this are dropped whole, a partition a day (default 90d; 0s: kept).") var retention: String?
    @Option(help: "rejected_messages rows older than this are deleted, a few thousand at a time (default 14d; 0s: kept).") var rejectedRetention: String?
    @Option(help: "dead_letters rows older than this are deleted, a few thousand at a time (default 0s: kept, each is a row to act on).") var deadLetterRetention: String?
    @Option(help: "A vehicle silent this long leaves memory once its detector state is stored, and is loaded again when it sends (default 7d; 0s: all stay).") var vehicleIdleEvict: String?
    @Option(help: "Publish each committed event to MQTT at QoS 1: on or off (default on).") var publishEvents: String?
    @Option(help: "Topic prefix of published events, {prefix}/{kind}/{vehicle_id}; outside fleet/ (default fleetd/events).") var eventTopicPrefix: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?
    @Option(help: "text or json (default text).") var logFormat: String?

    var flags: [String: String] {
        let pairs: [(String, String?)] = [
            ("mqtt-url", mqttUrl), ("client-id", clientId), ("mqtt-username", mqttUsername),
            ("mqtt-password-file", mqttPasswordFile), ("mqtt-ca-file", mqttCaFile), ("mqtt-cert-file", mqttCertFile),
            ("mqtt-key-file", mqttKeyFile), ("mqtt-session-expiry", mqttSessionExpiry),
            ("mqtt-receive-maximum", mqttReceiveMaximum), ("mqtt-topics", mqttTopics), ("postgres-url", postgresUrl),
            ("postgres-schema", postgresSchema), ("admin-addr", adminAddr), ("spool-path", spoolPath),
            ("spool-size", spoolSize), ("spool-high-water", spoolHighWater), ("spool-sync-interval", spoolSyncInterval),
            ("batch-size", batchSize), ("batch-delay", batchDelay), ("max-payload-bytes", maxPayloadBytes),
            ("max-readings", maxReadings), ("reorder-window", reorderWindow), ("shutdown-timeout", shutdownTimeout),
            ("detection", detection), ("role", role), ("partitions", partitions), ("snapshot-interval", snapshotInterval), ("postgres-statement-timeout", postgresStatementTimeout),
            ("reject-budget", rejectBudget), ("retention", retention), ("rejected-retention", rejectedRetention), ("dead-letter-retention", deadLetterRetention), ("vehicle-idle-evict", vehicleIdleEvict),
            ("publish-events", publishEvents), ("event-topic-prefix", eventTopicPrefix),
            ("log-level", logLevel), ("log-format", logFormat),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { k, v in v.map { (k, $0) } })
    }

    /// Resolves the settings; a bad value ends the program with code 2 and one line naming it.
    func resolve() async throws -> FleetConfig {
        do {
            return try await FleetConfig.resolve(flags: flags, configFile: config ?? ProcessInfo.processInfo.environment["FLEETD_CONFIG"])
        } catch let invalid as FleetConfig.Invalid {
            FileHandle.standardError.write(Data("fleetd: \(invalid)\n".utf8))
            throw ExitCode(2)
        }
    }
}

func bootstrapLogging(_ config: FleetConfig) -> Logger {
    let level = config.logLevel
    switch config.logFormat {
    case .text:
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    case .json:
        LoggingSystem.bootstrap { label in
            var h = JSONLogHandler(label: label)
            h.logLevel = level
            return h
        }
    }
    return Logger(label: "fleetd")
}
