import Atomics
import FleetCore
import Foundation
import LibPQ
import Logging
import Synchronization

/// The spool's consumer: decodes spooled messages into batches and commits each batch to
/// PostgreSQL with the spool position it covers, then releases that range of the spool.
/// Runs on its own thread because libpq blocks.
public final class Pipeline: @unchecked Sendable {
    private let spool: Spool
    private let settings: PipelineSettings
    private let metrics: FleetMetrics
    private let logger: Logger

    private let stopRequested = ManagedAtomic<Bool>(false)
    /// What the pipeline last saw of PostgreSQL; read by /readyz.
    public let health = Mutex<PostgresHealth>(.unreachable(sinceNanos: WallClock.nowNanos(), error: "not connected yet"))
    /// True from the first connection on: PostgreSQL holds fleetd's tables, migrated.
    public let connectedOnce = ManagedAtomic<Bool>(false)
    private let finished = ManagedAtomic<Bool>(false)
    private let doneSemaphore = DispatchSemaphore(value: 0)
    // Pipeline-thread only.
    private var failureLog = LogThrottle()
    /// Operators' rows skipped at the last load: each is logged and counted when it first appears.
    private var invalidRows = Set<InvalidOperatorRow>()

    public init(spool: Spool, settings: PipelineSettings, metrics: FleetMetrics, logger: Logger) {
        self.spool = spool
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts the consumer thread.
    public func start() {
        let thread = Thread { [self] in
            run()
            finished.store(true, ordering: .releasing)
            doneSemaphore.signal()
        }
        thread.name = "fleetd-pipeline"
        thread.start()
    }

    /// Asks the consumer to commit what is spooled (up to the shutdown timeout) and stop.
    public func stop() { stopRequested.store(true, ordering: .releasing) }

    /// Blocks until the consumer thread has ended.
    public func waitUntilFinished() {
        if finished.load(ordering: .acquiring) { return }
        doneSemaphore.wait()
        doneSemaphore.signal()
    }

    private var stopping: Bool { stopRequested.load(ordering: .acquiring) }

    /// The driver: performs the state machine's actions against the spool and PostgreSQL and feeds
    /// back what happened. Every decision is the state machine's.
    private func run() {
        var machine = IngestStateMachine(settings: settings, spoolCapacity: spool.capacity, now: .now())
        var sink: PostgresSink?
        var stopSeen = false
        var lastSync = ContinuousClock.now
        var reportedWaits: UInt64 = 0
        var vehicles = Set<String>()
        metrics.spoolCapacityBytes.set(to: Double(spool.capacity))

        /// Spool flushes and gauges: after each commit and while idle or backing off.
        func housekeeping() {
            let now = ContinuousClock.now
            if now - lastSync >= settings.spoolSyncInterval {
                spool.sync()
                lastSync = now
            }
            metrics.spoolUsedBytes.set(to: Double(spool.usedBytes))
            let waits = spool.producerWaits.load(ordering: .relaxed)
            if waits > reportedWaits {
                metrics.spoolProducerWaits.increment(by: Int64(waits - reportedWaits))
                reportedWaits = waits
            }
        }

        /// Runs `body` on the connection; a failure goes to the state machine.
        func onSink(_ body: (PostgresSink) throws(PGError) -> IngestStateMachine.Action) -> IngestStateMachine.Action {
            guard let s = sink else {
                return machine.failed(PGError(message: "not connected", connectionLost: true), at: .now())
            }
            do {
                return try body(s)
            } catch {
                return machine.failed(error, at: .now())
            }
        }

        var action = machine.next(at: .now())
        while true {
            if !stopSeen && stopping {
                stopSeen = true
                machine.stopRequested(at: .now())
            }
            switch action {
            case .read(let position):
                if let entry = spool.read(at: position) {
                    action = machine.read(entry, at: .now())
                } else {
                    action = machine.caughtUp(at: .now())
                }
            case .connect(let plan):
                sink = nil
                do {
                    if plan.migrate {
                        try Migrator(schema: settings.schema, logger: logger).migrate(try PGConnection(settings.postgresURL))
                    }
                    let s = try PostgresSink(conninfo: settings.postgresURL, schema: settings.schema, statementTimeout: settings.statementTimeout)
                    var c = IngestStateMachine.Connected(released: spool.releasedPosition, head: spool.headPosition)
                    if plan.loadInputs {
                        let inputs = try s.loadOperatorInputs()
                        loaded(inputs)
                        c.inputs = inputs
                    }
                    if plan.resume != .none { c.checkpoint = try s.checkpoint(spoolID: spool.spoolID) }
                    if plan.resume == .start && settings.detection {
                        let idleAfter = settings.vehicleIdleEvict > .zero ? settings.vehicleIdleEvict : nil
                        c.stored = try s.loadDetection(spoolID: spool.spoolID, idleAfter: idleAfter)
                    }
                    sink = s
                    connectedOnce.store(true, ordering: .releasing)
                    action = machine.connected(c, at: .now())
                } catch {
                    action = machine.failed(error, at: .now())
                }
            case .write(let part):
                action = onSink { s throws(PGError) in
                    let written = try s.write(machine.batch, spoolID: spool.spoolID, part: part)
                    return machine.written(written, at: .now())
                }
            case .deadLetterMessage(let index, let refusal):
                let span = machine.batch.spans[index]
                var payload: [UInt8] = []
                if case .message(let record)? = spool.read(at: span.position) { payload = Array(record.payload) }
                action = onSink { s throws(PGError) in
                    try s.deadLetter(message: span, payload: payload, spoolID: spool.spoolID, refusal: refusal)
                    metrics.deadLetter(sqlState: refusal?.sqlState)
                    logger.error("PostgreSQL refused a message's rows; kept in dead_letters, everything else commits", metadata: [
                        "topic": "\(span.topic)", "spool_position": "\(span.position)",
                        "sqlstate": "\(refusal?.sqlState ?? "none")", "error": "\(refusal?.message ?? "")",
                    ])
                    return machine.written(.none, at: .now())
                }
            case .deadLetterEvent(let index, let refusal):
                let batch = machine.batch
                action = onSink { s throws(PGError) in
                    try s.deadLetter(event: batch.events[index], index: index, batchEnd: batch.endPosition, spoolID: spool.spoolID, refusal: refusal)
                    metrics.deadLetter(sqlState: refusal?.sqlState)
                    logger.error("PostgreSQL refused an event row; kept in dead_letters, the readings commit", metadata: [
                        "table": "\(EventRows.row(batch.events[index]).table)", "sqlstate": "\(refusal?.sqlState ?? "none")",
                        "error": "\(refusal?.message ?? "")",
                    ])
                    return machine.written(.none, at: .now())
                }
            case .committed(let commit):
                health.withLock { $0 = .writing }
                if let r = machine.runner {
                    metrics.vehiclesHolding.set(to: Double(r.detection.vehiclesHolding))
                    metrics.vehiclesInMemory.set(to: Double(r.detection.vehicleCount))
                }
                spool.release(upTo: commit.releaseUpTo)
                record(commit, vehicles: &vehicles)
                if let outage = commit.outage {
                    logger.notice("PostgreSQL writes resumed", metadata: ["outage_seconds": "\(outage.secondsText)"])
                    failureLog.reset()
                }
                housekeeping()
                action = machine.next(at: .now())
            case .release(let position):
                spool.release(upTo: position)
                action = machine.next(at: .now())
            case .reloadInputs:
                action = onSink { s throws(PGError) in
                    let inputs = try s.loadOperatorInputs()
                    loaded(inputs)
                    return machine.inputsLoaded(inputs, at: .now())
                }
            case .checkNotified:
                // A failure here shows up on the next write too; a reload attempt is harmless.
                let changed = sink.map { (try? $0.configChanged()) ?? true } ?? true
                action = machine.notified(changed, at: .now())
            case .ping:
                action = onSink { s throws(PGError) in
                    try s.ping()
                    return machine.pinged(at: .now())
                }
            case .loadStates(let vehicles):
                action = onSink { s throws(PGError) in
                    let states = try s.loadStates(vehicles)
                    return machine.statesLoaded(states, requested: vehicles, at: .now())
                }
            case .upkeep(let upkeep):
                action = onSink { s throws(PGError) in
                    let done = try s.upkeep(upkeep)
                    return machine.upkept(done, at: .now())
                }
            case .sleep(let duration):
                housekeeping()
                sleep(duration)
                action = machine.next(at: .now())
            case .report(let report):
                if case .failure = report { sink = nil }
                self.report(report)
                action = machine.next(at: .now())
            case .finish(let finish):
                if finish == .timedOut {
                    logger.warning("shutdown timeout reached with PostgreSQL unavailable; the spool keeps the rest for replay at next start",
                                   metadata: ["unreleased_bytes": "\(spool.usedBytes)"])
                }
                spool.sync()
                metrics.spoolUsedBytes.set(to: Double(spool.usedBytes))
                logger.info("pipeline stopped", metadata: ["unreleased_bytes": "\(spool.usedBytes)"])
                return
            }
        }
    }

    /// Counts a load of the operators' inputs and names each skipped row once.
    private func loaded(_ inputs: OperatorInputs) {
        metrics.operatorInputLoads.increment()
        let now = Set(inputs.invalid)
        for row in inputs.invalid where !invalidRows.contains(row) {
            metrics.operatorRowsInvalid[row.table]?.increment()
            logger.warning("operator row skipped: a value is out of range; detection uses defaults for it until the row is fixed", metadata: [
                "table": "\(row.table)", "key": "\(row.key)", "columns": "\(row.columns.joined(separator: ","))",
            ])
        }
        invalidRows = now
    }

    /// What the state machine wants the operator to know: logs, metrics and `/readyz`.
    private func report(_ report: IngestStateMachine.Report) {
        switch report {
        case .connected(let afterOutage):
            health.withLock { $0 = $0.afterConnecting }
            metrics.postgresConnected.set(to: 1)
            if !afterOutage { logger.info("connected to PostgreSQL", metadata: ["schema": "\(settings.schema)"]) }
        case .failure(let error):
            noteFailure(error)
        case .isolating(let error, let messages, let events):
            logger.warning("PostgreSQL refused a batch for a reason a retry will not cure; writing it in pieces to isolate the refused rows in dead_letters",
                           metadata: ["error": "\(error)", "messages": "\(messages)", "events": "\(events)"])
        case .isolated(let deadLetters, let messages):
            logger.notice("refused batch isolated", metadata: ["dead_letters": "\(deadLetters)", "messages": "\(messages)"])
        case .deadLetterLost(let error):
            metrics.deadLettersLost.increment()
            logger.critical("dead_letters refused the row too; it is skipped (see the log line before for what it was)",
                            metadata: ["error": "\(error)"])
        case .snapshotRefused:
            logger.error("PostgreSQL refused the detector snapshot; committed without it, the next snapshot follows")
        case .unreadable(let range):
            let lost = range.upperBound - range.lowerBound
            metrics.spoolUnreadableBytes.increment(by: Int64(lost))
            logger.error("spool frame unreadable (torn by a power cut?); skipping to head",
                         metadata: ["from": "\(range.lowerBound)", "to": "\(range.upperBound)", "bytes": "\(lost)"])
        case .commitWentThrough(let checkpoint):
            // The rows' keys would keep it single, but every reading would count as a duplicate.
            logger.notice("the connection dropped after a batch's COMMIT, which went through; not writing it again",
                          metadata: ["checkpoint": "\(checkpoint)"])
        case .checkpointBeyondHead(let checkpoint, let head):
            logger.warning("checkpoint lies beyond the spool's head (spool tail lost in a power cut?); resuming at head",
                           metadata: ["checkpoint": "\(checkpoint)", "head": "\(head)"])
        case .checkpointBeforeReleased(let checkpoint, let released):
            logger.warning("checkpoint lies before the spool's released range (database restored from backup?); resuming at the spool's released position",
                           metadata: ["checkpoint": "\(checkpoint)", "released": "\(released)"])
        case .backlog(let bytes):
            logger.notice("replaying spooled messages not yet in PostgreSQL", metadata: ["bytes": "\(bytes)", "spool": "\(spool.path)"])
        case .unusableStates(let vehicles):
            logger.warning("some stored detector states could not be used (another fleetd version or reorder window); those vehicles start afresh",
                           metadata: ["vehicles": "\(vehicles)"])
        case .snapshotOutsideSpool(let snapshot, let checkpoint):
            logger.warning("detector snapshot lies outside the spool; detectors continue from the stored states without replay",
                           metadata: ["snapshot": "\(snapshot)", "checkpoint": "\(checkpoint)"])
        case .replayed(let messages, let took):
            logger.notice("detectors rebuilt from their snapshot by replaying committed messages",
                          metadata: ["messages": "\(messages)", "seconds": "\(took.secondsText)"])
        case .reachable:
            health.withLock { $0 = .writing }
        case .inputsReloaded:
            logger.debug("operator inputs reloaded")
        case .evicted(let vehicles):
            logger.debug("idle vehicles' detector states left memory (stored; loaded again when they send)", metadata: ["vehicles": "\(vehicles)"])
        case .upkept(let done):
            upkept(done)
        }
    }

    /// What a round of upkeep changed, for the log and the metrics.
    private func upkept(_ done: Upkeep.Done) {
        if done.rejectedDeleted > 0 {
            logger.info("old rejected_messages rows deleted", metadata: ["rows": "\(done.rejectedDeleted)", "older_than": "\(settings.rejectedRetention)"])
        }
        if done.deadLettersDeleted > 0 {
            logger.info("old dead_letters rows deleted", metadata: ["rows": "\(done.deadLettersDeleted)", "older_than": "\(settings.deadLetterRetention)"])
        }
        metrics.partitionsCreated.increment(by: Int64(done.created.count))
        metrics.partitionsDropped.increment(by: Int64(done.dropped.count))
        metrics.upkeepProblems.increment(by: Int64(done.problems.count))
        if !done.created.isEmpty {
            logger.info("readings partitions created ahead", metadata: ["partitions": "\(done.created.joined(separator: ","))",
                                                                      "rows_moved_from_default": "\(done.movedFromDefault)"])
        }
        if !done.dropped.isEmpty {
            logger.notice("readings partitions past the retention dropped", metadata: ["partitions": "\(done.dropped.joined(separator: ","))",
                                                                                 "retention": "\(settings.readingsRetention)"])
        }
        if done.defaultDeleted > 0 {
            logger.info("old rows of readings_default (far-off clocks) deleted", metadata: ["rows": "\(done.defaultDeleted)"])
        }
        for problem in done.problems {
            logger.warning("a partition change of readings was refused; tried again in a minute (a long query holding the table?)",
                           metadata: ["error": "\(problem)"])
        }
    }

    private func record(_ commit: IngestStateMachine.Commit, vehicles: inout Set<String>) {
        let batch = commit.batch, written = commit.written
        metrics.batchCommitSeconds.record(commit.commitTime)
        metrics.batchRows.record(Double(batch.rowCount))
        metrics.readingsAccepted.increment(by: Int64(batch.decoded.readings.count))
        metrics.readingsDuplicate.increment(by: Int64(written.duplicates))
        metrics.rowsWritten["readings"]?.increment(by: Int64(written.readingsInserted))
        metrics.rowsWritten["rejected_messages"]?.increment(by: Int64(written.rejected))
        metrics.rowsWritten["vehicles"]?.increment(by: Int64(written.vehiclesAdded))
        metrics.impossibleValues.increment(by: Int64(batch.decoded.impossible.count))
        metrics.readingsLate.increment(by: Int64(batch.late))
        metrics.readingsUnpartitioned.increment(by: Int64(written.unpartitioned))
        if let error = written.statusRefused {
            metrics.statusRefused.increment()
            logger.error("PostgreSQL refused the vehicle_status/vehicle_days rows; dropped, the readings committed (check triggers and constraints on those tables)",
                         metadata: ["error": "\(error)"])
        }
        metrics.recordEvents(batch.events, transactions: written.transactions, anomalies: written.anomalies, alerts: written.alerts)
        for (reason, n) in batch.refusals { metrics.readingsRejected[reason]?.increment(by: Int64(n)) }
        metrics.rejectionsOverBudget.increment(by: Int64(batch.overBudget))
        let committedAt = WallClock.nowNanos()
        for (i, r) in batch.decoded.readings.enumerated() {
            metrics.ingestLatencySeconds.recordNanoseconds(max(0, committedAt - batch.receivedAtNanos[i]))
            if vehicles.insert(r.vehicleID).inserted { metrics.vehiclesTracked.set(to: Double(vehicles.count)) }
        }
    }

    private func noteFailure(_ error: PGError) {
        let now = ContinuousClock.now
        metrics.postgresErrors.increment()
        metrics.postgresConnected.set(to: 0)
        health.withLock { $0 = $0.after(error, nowNanos: WallClock.nowNanos()) }
        let message = error.description
        if failureLog.allows(message, now: now) {
            let what = error.connectionLost ? "PostgreSQL unavailable" : "PostgreSQL refused the batch"
            logger.error("\(what); readings stay in the spool, retrying", metadata: [
                "error": "\(message)", "unreleased_bytes": "\(spool.usedBytes)",
            ])
        }
    }

    /// Sleeps in short steps; once stopping, retries every 200 ms until the shutdown deadline.
    /// Sleeps in steps of at most 10 ms, so a stop request is seen at once.
    private func sleep(_ d: Duration) {
        let end = ContinuousClock.now + d
        while !stopping || d <= IngestStateMachine.retryWhileStopping {
            let left = end - ContinuousClock.now
            guard left > .zero else { return }
            usleep(UInt32(max(1, (min(left, .milliseconds(10)) / .microseconds(1)).rounded(.up))))
        }
    }
}
