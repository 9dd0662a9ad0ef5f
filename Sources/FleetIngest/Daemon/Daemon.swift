import Foundation
import Logging
import NIOHTTP1
import ServiceLifecycle

/// `fleetd run`: wires spool, MQTT source, pipeline and admin port, and runs them until
/// SIGTERM or SIGINT.
public enum Daemon {
    public static func run(config: FleetConfig, version: String, logger: Logger) async throws {
        logger.info("fleetd starting", metadata: config.summary.merging(["version": "\(version)"]) { a, _ in a })
        let metrics = FleetMetrics(version: version)
        let ingest = config.ingests ? try Intake(config, metrics: metrics, logger: logger) : nil
        let shared = config.shared.map { SharedDetection(settings: $0, metrics: metrics, logger: logger) }
        // Whatever reads fleetd's tables waits until the first connection has migrated them.
        let migrated: @Sendable () -> Bool = { [pipeline = ingest?.pipeline] in
            pipeline?.connectedOnce.load(ordering: .acquiring) ?? shared?.connectedOnce.load(ordering: .acquiring) ?? false
        }
        // Purchases are held against refuels: without detection there are none.
        let reconciler = config.detects ? PurchaseReconciler(
            conninfo: config.pipeline.postgresURL, schema: config.pipeline.schema, statementTimeout: config.pipeline.statementTimeout,
            metrics: metrics, logger: logger, ready: migrated) : nil
        let publisher = config.events.map { EventPublisher(settings: $0, metrics: metrics, logger: logger, ready: migrated) }

        let admin = AdminServer(host: config.adminHost, port: config.adminPort, logger: logger) { method, path in
            switch (method, path) {
            case (.GET, "/healthz"):
                return .init(status: .ok, contentType: "text/plain", body: Array("ok\n".utf8))
            case (.GET, "/readyz"):
                var checks = ingest?.checks ?? []
                if let shared {
                    let up = shared.connected.load(ordering: .acquiring)
                    checks.append(.init(name: "detection", ok: up, detail: up ? "reading back its partitions" : "not connected to PostgreSQL"))
                }
                let readiness = Readiness(checks: checks)
                return .init(status: readiness.ready ? .ok : .serviceUnavailable, contentType: "application/json",
                             body: Array((readiness.json + "\n").utf8))
            case (.GET, "/metrics"):
                return .init(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.exposition())
            default:
                return .init(status: .notFound, contentType: "text/plain", body: Array("not found: try /healthz, /readyz or /metrics\n".utf8))
            }
        }
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: admin),
                .init(service: IngestService(source: ingest?.source, pipeline: ingest?.pipeline, shared: shared,
                                             publisher: publisher, reconciler: reconciler)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("fleetd stopped")
    }

    /// What an ingesting instance runs: spool, MQTT subscriber and pipeline, and their readiness checks.
    struct Intake: Sendable {
        let spool: Spool
        let source: MQTTSource
        let pipeline: Pipeline
        let highWater: UInt64

        init(_ config: FleetConfig, metrics: FleetMetrics, logger: Logger) throws {
            spool = try openSpool(config, logger: logger)
            if spool.capacity != (config.spoolSize + 7) & ~7 {
                logger.warning("spool keeps its previous size until drained", metadata: ["capacity": "\(spool.capacity)"])
            }
            if spool.usedBytes > 0 {
                logger.notice("spool holds messages from the previous run", metadata: ["bytes": "\(spool.usedBytes)"])
            }
            pipeline = Pipeline(spool: spool, settings: config.pipeline, metrics: metrics, logger: logger)
            source = try MQTTSource(settings: config.mqtt, spool: spool, metrics: metrics, logger: logger)
            highWater = UInt64(Double(spool.capacity) * config.spoolHighWater)
        }

        var checks: [Readiness.Check] {
            let used = spool.usedBytes
            let subscribed = source.subscribed.load(ordering: .acquiring)
            return [
                .init(name: "mqtt", ok: subscribed, detail: subscribed ? "subscribed" : "not subscribed to the broker"),
                pipeline.health.withLock { h in
                    .init(name: "postgres", ok: h.isWriting, detail: h.detail(nowNanos: WallClock.nowNanos()))
                },
                .init(name: "spool", ok: used < highWater, detail: "\(used) of \(spool.capacity) bytes used, high water \(highWater)"),
            ]
        }
    }

    /// The spool, or a startup error that says what is wrong with it; with `--spool-reset` a damaged
    /// spool file is moved aside (never deleted) and an empty one takes its place.
    static func openSpool(_ config: FleetConfig, logger: Logger) throws -> Spool {
        func open() throws -> Spool {
            try Spool(path: config.spoolPath, capacity: config.spoolSize, maxStoredPayload: config.pipeline.limits.maxBytes + 1)
        }
        do {
            return try open()
        } catch let damaged as Spool.DamagedSpool {
            guard damaged.isSpoolFile, config.spoolReset else { throw StartupError(damaged.description, exitCode: 2) }
            let aside = try Spool.moveAside(path: config.spoolPath)
            logger.warning("damaged spool file moved aside; starting with an empty spool (what it held that was not yet in PostgreSQL is not replayed)",
                           metadata: ["damaged": "\(damaged)", "moved_to": "\(aside)"])
            return try open()
        }
    }
}
