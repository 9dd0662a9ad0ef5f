import Foundation
import Logging
import NIOHTTP1
import ServiceLifecycle

/// `fleetd run`: wires spool, MQTT source, pipeline and admin port, and runs them until
/// SIGTERM or SIGINT.
public enum Daemon {
    public static func run(config: FleetConfig, version: String, logger: Logger) async throws {
        logger.info("fleetd starting", metadata: config.summary.merging(["version": "\(version)"]) { a, _ in a })
        let spool = try openSpool(config, logger: logger)
        if spool.capacity != (config.spoolSize + 7) & ~7 {
            logger.warning("spool keeps its previous size until drained", metadata: ["capacity": "\(spool.capacity)"])
        }
        if spool.usedBytes > 0 {
            logger.notice("spool holds messages from the previous run", metadata: ["bytes": "\(spool.usedBytes)"])
        }
        let metrics = FleetMetrics(version: version)
        let pipeline = Pipeline(spool: spool, settings: config.pipeline, metrics: metrics, logger: logger)
        let source = try MQTTSource(settings: config.mqtt, spool: spool, metrics: metrics, logger: logger)
        let highWater = UInt64(Double(spool.capacity) * config.spoolHighWater)
        // Purchases are held against refuels: without detection there are none.
        let reconciler = config.pipeline.detection ? PurchaseReconciler(
            conninfo: config.pipeline.postgresURL, schema: config.pipeline.schema, statementTimeout: config.pipeline.statementTimeout,
            metrics: metrics, logger: logger) { [pipeline] in pipeline.connectedOnce.load(ordering: .acquiring) } : nil
        let publisher = config.events.map { settings in
            EventPublisher(settings: settings, metrics: metrics, logger: logger) { [pipeline] in
                pipeline.connectedOnce.load(ordering: .acquiring)
            }
        }

        let admin = AdminServer(host: config.adminHost, port: config.adminPort, logger: logger) { method, path in
            switch (method, path) {
            case (.GET, "/healthz"):
                return .init(status: .ok, contentType: "text/plain", body: Array("ok\n".utf8))
            case (.GET, "/readyz"):
                let used = spool.usedBytes
                let readiness = Readiness(checks: [
                    .init(name: "mqtt", ok: source.subscribed.load(ordering: .acquiring),
                          detail: source.subscribed.load(ordering: .acquiring) ? "subscribed" : "not subscribed to the broker"),
                    pipeline.health.withLock { h in
                        .init(name: "postgres", ok: h.isWriting, detail: h.detail(nowNanos: WallClock.nowNanos()))
                    },
                    .init(name: "spool", ok: used < highWater,
                          detail: "\(used) of \(spool.capacity) bytes used, high water \(highWater)"),
                ])
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
                .init(service: IngestService(source: source, pipeline: pipeline, publisher: publisher, reconciler: reconciler)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("fleetd stopped")
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
