import Atomics
import FleetCore
import Foundation
import LibPQ
import Logging

/// Detection shared by several fleetd instances (`--partitions`): this instance detects the vehicles of
/// the partitions it owns (`PartitionLockSession`), reading their readings back from PostgreSQL in
/// commit order (`ReadingsFeed`), whichever instance ingested them. Events are written as they are
/// found; every `checkpointInterval` the partitions' changed states and marks are committed together
/// (`PartitionCursors`), so a new owner resumes at the last checkpoint: the events it finds again are
/// the ones already stored, and their natural keys skip them.
///
/// Runs on its own thread and two connections (locks, data), so ingest never waits for it.
public final class SharedDetection: @unchecked Sendable {
    public struct Settings: Sendable {
        public var partitions: Int
        /// This instance's name in `detection_cursors.owner` and the start of its partition search.
        public var instance: String
        public var postgresURL: String
        public var schema: String
        public var statementTimeout: Duration
        public var migrate: Bool
        public var reorderWindow: Duration
        /// How often states and marks are committed: a new owner reads at most this much again.
        public var checkpointInterval: Duration
        public var operatorInputsReload: Duration
        /// How long an instance keeps more than its share of partitions before handing the excess back.
        public var settle: Duration
        public var pageSize = 5000
        /// How long (receipt time) a reading read back waits for readings received before it, stored by
        /// other instances, before it is fed: longer than a batch takes to commit.
        public var mergeLag: Duration = .seconds(2)

        public init(partitions: Int, instance: String, pipeline: PipelineSettings, settle: Duration = .seconds(10)) {
            self.partitions = partitions
            self.instance = instance
            postgresURL = pipeline.postgresURL
            schema = pipeline.schema
            statementTimeout = pipeline.statementTimeout
            migrate = pipeline.migrate
            reorderWindow = pipeline.reorderWindow
            checkpointInterval = min(pipeline.snapshotInterval, .seconds(5))
            operatorInputsReload = pipeline.operatorInputsReload
            self.settle = settle
        }
    }

    let settings: Settings
    private let metrics: FleetMetrics
    private let logger: Logger
    private let worker = WorkerThread()
    /// True from the first connection on: PostgreSQL holds fleetd's tables, migrated.
    public let connectedOnce = ManagedAtomic<Bool>(false)
    /// True while the data connection works (for /readyz).
    public let connected = ManagedAtomic<Bool>(false)

    // Detection-thread only.
    private let scheme: PartitionScheme
    private let locks: PartitionLockSession
    private var parts: OwnedPartitions
    private var sink: PostgresSink?
    private var pendingOwn = Set<Int>()
    private var events: [DetectionEvent] = []
    private var lastCheckpoint = ContinuousClock.now
    private var inputsLoadedAt: ContinuousClock.Instant?
    private var failureLog = LogThrottle()

    public init(settings: Settings, metrics: FleetMetrics, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        scheme = PartitionScheme(count: settings.partitions)!
        locks = PartitionLockSession(conninfo: settings.postgresURL, schema: settings.schema, instance: settings.instance,
                                     scheme: scheme, settleMs: settings.settle.wholeMilliseconds)
        parts = OwnedPartitions(windowMs: settings.reorderWindow.wholeMilliseconds, mergeLagMs: settings.mergeLag.wholeMilliseconds)
    }

    public func start() { worker.start("fleetd-detection") { [self] in run() } }

    /// Commits what was found and the partitions' checkpoint, hands the partitions back and returns.
    public func stop() { worker.stop() }

    private func run() {
        let started = ContinuousClock.now
        while !worker.stopping {
            do {
                if sink == nil { try connect() }
                locks.step(nowMs: (ContinuousClock.now - started).wholeMilliseconds) { change in handle(change) }
                metrics.partitionsOwned.set(to: Double(parts.owned.count))
                if !pendingOwn.isEmpty { try takeOver() }
                try reloadInputsIfDue()
                let caughtUp = try readPage()
                if !events.isEmpty || ContinuousClock.now - lastCheckpoint >= settings.checkpointInterval { try commit(checkpoint: true) }
                failureLog.reset()
                if caughtUp { worker.pause(.milliseconds(200)) }
            } catch {
                failed(error)
                worker.pause(.seconds(1))
            }
        }
        if sink != nil && !parts.isEmpty {
            do { try commit(checkpoint: true) } catch { failed(error) }
        }
        locks.close()
        metrics.partitionsOwned.set(to: 0)
        logger.info("shared detection stopped; its partitions are free for the other instances")
    }

    private func failed(_ error: any Error) {
        sink = nil
        connected.store(false, ordering: .releasing)
        metrics.postgresErrors.increment()
        if failureLog.allows("\(error)") {
            logger.error("shared detection: PostgreSQL failed; retrying (readings wait in the table, nothing is lost)", metadata: ["error": "\(error)"])
        }
    }

    private func connect() throws {
        if settings.migrate {
            try Migrator(schema: settings.schema, logger: logger).migrate(try PGConnection(settings.postgresURL))
        }
        let s = try PostgresSink(conninfo: settings.postgresURL, schema: settings.schema, statementTimeout: settings.statementTimeout)
        try Self.indexFeed(s.db)
        sink = s
        inputsLoadedAt = nil
        try reloadInputsIfDue()
        connected.store(true, ordering: .releasing)
        connectedOnce.store(true, ordering: .releasing)
        logger.info("shared detection connected", metadata: ["partitions": "\(settings.partitions)", "instance": "\(settings.instance)"])
    }

    /// Readings are read back by transaction: an index on it, made once (by whichever instance comes
    /// first) and kept up by every insert from then on; a single instance never pays for it.
    static func indexFeed(_ db: PGConnection) throws(PGError) {
        try db.exec("BEGIN")
        do {
            try db.exec("SET LOCAL statement_timeout = 0")
            try db.exec("SELECT pg_advisory_xact_lock(\(Migrator.lockKey))")
            try db.exec("CREATE INDEX IF NOT EXISTS readings_xid ON readings (xid)")
            try db.exec("COMMIT")
        } catch {
            _ = try? db.exec("ROLLBACK")
            throw error
        }
    }

    private func handle(_ change: PartitionLockSession.Change) {
        switch change {
        case .own(let p):
            pendingOwn.insert(p)
        case .handBack(let p):
            // Its lock is released as this returns: the checkpoint must be in before.
            if parts.owned[p] != nil && sink != nil {
                do { try commit(checkpoint: true) } catch {
                    logger.warning("partition handed back without its last checkpoint; its next owner reads again from the one before",
                                   metadata: ["partition": "\(p)", "error": "\(error)"])
                }
            }
            parts.drop(p)
            pendingOwn.remove(p)
            logger.info("partition handed back", metadata: ["partition": "\(p)"])
        case .lose(let ps):
            for p in ps {
                parts.drop(p)
                pendingOwn.remove(p)
            }
            logger.warning("lock connection lost: partitions dropped, their next owners resume from the last checkpoint", metadata: ["partitions": "\(ps)"])
        }
    }

    /// The partitions just locked: their marks, their vehicles' states, and the operators' inputs.
    private func takeOver() throws {
        guard let s = sink, let pid = locks.backendPID else { return }
        let ps = pendingOwn.sorted()
        let loaded = try PartitionCursors.load(s.db, partitions: ps, scheme: scheme, owner: settings.instance, keys: locks.keys, lockPID: pid)
        var unusable = 0, vehicles = 0
        for p in ps {
            guard let mark = loaded.marks[p] else { continue }
            let states = loaded.states[p] ?? []
            vehicles += states.count
            unusable += parts.own(p, states: states, mark: mark)
        }
        pendingOwn.removeAll()
        logger.info("partitions taken over", metadata: [
            "partitions": "\(ps)", "vehicles": "\(vehicles)", "owned": "\(parts.owned.count) of \(settings.partitions)",
        ])
        if unusable > 0 {
            logger.warning("stored detector states written by another version or reorder window start afresh", metadata: ["count": "\(unusable)"])
        }
    }

    private func reloadInputsIfDue() throws {
        guard let s = sink else { return }
        let due = inputsLoadedAt.map { ContinuousClock.now - $0 >= settings.operatorInputsReload } ?? true
        guard try due || s.configChanged() else { return }
        parts.apply(try s.loadOperatorInputs())
        metrics.operatorInputLoads.increment()
        inputsLoadedAt = .now
    }

    /// Reads and feeds one page of the partitions' readings; true when the feed is caught up.
    private func readPage() throws -> Bool {
        guard let s = sink, !parts.isEmpty else { return true }
        let page = try ReadingsFeed.read(s.db, after: parts.readFrom, limit: settings.pageSize, scheme: scheme, partitions: parts.partitions)
        let outOfOrder = parts.outOfOrder
        let late = parts.feed(page, into: &events)
        metrics.readingsLate.increment(by: Int64(late))
        metrics.detectionOutOfOrder.increment(by: Int64(parts.outOfOrder - outOfOrder))
        let nowMs = WallClock.nowNanos() / 1_000_000
        if let clock = page.clockMs {
            metrics.detectionLagSeconds.set(to: Double(max(0, nowMs - clock)) / 1000)
        } else {
            metrics.detectionLagSeconds.set(to: 0)
            // Nothing new committed: what was received up to a merge lag ago has been read.
            metrics.readingsLate.increment(by: Int64(parts.tickIdle(nowMs: nowMs, into: &events)))
        }
        metrics.vehiclesHolding.set(to: Double(parts.vehiclesHolding))
        metrics.vehiclesInMemory.set(to: Double(parts.vehicleCount))
        return page.scannedCount < settings.pageSize
    }

    /// Writes the events found so far and, with `checkpoint`, the partitions' changed states and
    /// marks, in one transaction; the marks only while this instance's lock session still holds
    /// every partition (else nothing is written, and the partitions it lost are dropped).
    private func commit(checkpoint: Bool) throws {
        guard let s = sink else { return }
        var cp: (states: [(vehicleID: String, bytes: [UInt8])], marks: [Int: PartitionCursors.Mark])?
        if checkpoint && locks.backendPID != nil { cp = parts.takeCheckpoint() }
        do {
            try s.db.exec("BEGIN")
            var written = PostgresSink.Written.none
            try s.writeEvents(events, into: &written)
            if let cp, let pid = locks.backendPID {
                try s.writeStates(cp.states)
                try PartitionCursors.commit(s.db, cp.marks, scheme: scheme, owner: settings.instance, keys: locks.keys, lockPID: pid)
            }
            try s.db.exec("COMMIT")
            metrics.recordEvents(events, transactions: written.transactions, anomalies: written.anomalies, alerts: written.alerts)
            events.removeAll()
            if cp != nil { lastCheckpoint = .now }
        } catch let lost as PartitionCursors.Lost {
            _ = try? s.db.exec("ROLLBACK")
            if let cp { parts.checkpointFailed(cp.states) }
            for p in lost.partitions { parts.drop(p) }
            logger.warning("partitions lost before their checkpoint committed; their next owners resume from the one before",
                           metadata: ["partitions": "\(lost.partitions)"])
        } catch {
            _ = try? s.db.exec("ROLLBACK")
            if let cp { parts.checkpointFailed(cp.states) }
            throw error
        }
    }
}
