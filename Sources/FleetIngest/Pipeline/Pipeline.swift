import Atomics
import FleetCore
import Foundation
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
    private let decoder: PayloadDecoder

    private let stopRequested = ManagedAtomic<Bool>(false)
    /// What the pipeline last saw of PostgreSQL; read by /readyz.
    public let health = Mutex<PostgresHealth>(.unreachable(sinceNanos: WallClock.nowNanos(), error: "not connected yet"))
    private let finished = ManagedAtomic<Bool>(false)
    private let doneSemaphore = DispatchSemaphore(value: 0)
    // Pipeline-thread only.
    private var lastLoggedError: String?
    private var lastLoggedAt: ContinuousClock.Instant?

    public init(spool: Spool, settings: PipelineSettings, metrics: FleetMetrics, logger: Logger) {
        self.spool = spool
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.decoder = PayloadDecoder(limits: settings.limits)
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

    private func run() {
        var sink: PostgresSink?
        var readPosition: UInt64?
        var batch = IngestBatch()
        var backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(5))
        var outageStart: ContinuousClock.Instant?
        var stopDeadline: ContinuousClock.Instant?
        var lastSync = ContinuousClock.now
        var lastContact = ContinuousClock.now
        var vehicles = Set<String>()
        var migrated = false
        var reportedWaits: UInt64 = 0
        let clock = ContinuousClock()
        var runner = settings.detection
            ? DetectionRunner(windowMs: Self.milliseconds(settings.reorderWindow), snapshotInterval: settings.snapshotInterval) : nil
        var inputsLoadedAt = clock.now
        var lastRecordAt = clock.now
        var notificationsCheckedAt = clock.now
        // A batch PostgreSQL refused, being written in pieces until the refused rows stand alone.
        var isolation: RefusalIsolation?
        // The checkpoint known to be committed: a batch ending beyond it is not in PostgreSQL yet.
        var committedPosition: UInt64?

        /// After `batch` committed: detectors, spool, metrics, and a clean batch.
        func committed(_ written: PostgresSink.Written, started: ContinuousClock.Instant) {
            health.withLock { $0 = .writing }
            committedPosition = batch.endPosition
            runner?.committed(batch)
            if let r = runner { metrics.vehiclesHolding.set(to: Double(r.detection.vehiclesHolding)) }
            // With detection, the spool keeps what a replay from the snapshot needs.
            spool.release(upTo: runner?.snapshotPosition ?? batch.endPosition)
            lastContact = clock.now
            record(written, batch: batch, commitTime: clock.now - started, vehicles: &vehicles)
            batch.removeAll()
            if let began = outageStart {
                logger.notice("PostgreSQL writes resumed", metadata: ["outage_seconds": "\(Self.seconds(clock.now - began))"])
                outageStart = nil
                lastLoggedError = nil
            }
        }

        metrics.spoolCapacityBytes.set(to: Double(spool.capacity))
        while true {
            let now = clock.now
            if stopping && stopDeadline == nil { stopDeadline = now + settings.shutdownTimeout }
            if let deadline = stopDeadline, now >= deadline {
                logger.warning("shutdown timeout reached with PostgreSQL unavailable; the spool keeps the rest for replay at next start",
                               metadata: ["unreleased_bytes": "\(spool.usedBytes)"])
                break
            }
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

            // 1. A working connection, and where to resume.
            if sink == nil {
                do {
                    if settings.migrate && !migrated {
                        try Migrator(schema: settings.schema, logger: logger).migrate(try PGConnection(settings.postgresURL))
                        migrated = true
                    }
                    let s = try PostgresSink(conninfo: settings.postgresURL, schema: settings.schema, statementTimeout: settings.statementTimeout)
                    if runner != nil {
                        runner!.apply(try s.loadOperatorInputs())
                        inputsLoadedAt = clock.now
                        metrics.operatorInputLoads.increment()
                    }
                    if readPosition == nil {
                        readPosition = try startPosition(s, runner: &runner)
                        committedPosition = readPosition
                    } else if !batch.isEmpty, let known = committedPosition, batch.endPosition > known,
                              let stored = try s.checkpoint(spoolID: spool.spoolID), stored >= batch.endPosition {
                        // The connection dropped after COMMIT was sent, and it did commit: do not write
                        // the batch again (the rows' keys would keep it single, but every reading of it
                        // would count as a duplicate and the commit would be done twice).
                        logger.notice("the connection dropped after a batch's COMMIT, which went through; not writing it again",
                                      metadata: ["checkpoint": "\(stored)"])
                        isolation = nil
                        committed(PostgresSink.Written(readingsInserted: batch.decoded.readings.count, duplicates: 0,
                                                       rejected: batch.rejected.count, vehiclesAdded: 0), started: clock.now)
                    }
                    sink = s
                    backoff.reset()
                    health.withLock { $0 = $0.afterConnecting }
                    metrics.postgresConnected.set(to: 1)
                    lastContact = clock.now
                    if outageStart == nil {
                        logger.info("connected to PostgreSQL", metadata: ["schema": "\(settings.schema)"])
                    }
                } catch {
                    noteFailure(error, outageStart: &outageStart, now: now)
                    sleep(backoff.next())
                    continue
                }
            }
            guard let activeSink = sink, var position = readPosition else { continue }

            // 2. Fill the batch from the spool.
            var readAny = false
            while batch.rowCount < settings.batchSize, let entry = spool.read(at: position) {
                readAny = true
                switch entry {
                case .message(let record):
                    let before = batch.decoded.readings.count
                    batch.add(record, decoder: decoder, now: clock.now)
                    runner?.feed(&batch, from: before)
                    position = record.next
                case .unreadable(let range):
                    let lost = range.upperBound - range.lowerBound
                    metrics.spoolUnreadableBytes.increment(by: Int64(lost))
                    logger.error("spool frame unreadable (torn by a power cut?); skipping to head",
                                 metadata: ["from": "\(range.lowerBound)", "to": "\(range.upperBound)", "bytes": "\(lost)"])
                    position = range.upperBound
                    batch.endPosition = position
                    if batch.openedAt == nil { batch.openedAt = clock.now }
                    batch.messages += 1
                }
            }
            readPosition = position
            let caughtUp = position == spool.headPosition
            if readAny { lastRecordAt = clock.now }
            if caughtUp && !readAny, runner != nil {
                runner!.tickIfIdle(&batch, position: position, nowMs: WallClock.nowNanos() / 1_000_000, opened: clock.now)
                // An idle stream still gets its snapshot soon, so the spool empties and a restart replays nothing.
                if batch.isEmpty && clock.now - lastRecordAt >= .seconds(1) && runner!.idleSnapshotDue(position: position, now: clock.now) {
                    runner!.attachSnapshot(to: &batch, position: position)
                    batch.openedAt = clock.now
                }
            }

            // 3. Operators' edits: at once when notified, and every so often anyway.
            if runner != nil && (clock.now - inputsLoadedAt >= settings.operatorInputsReload
                || (clock.now - notificationsCheckedAt >= .milliseconds(250) && checkNotified(activeSink, at: &notificationsCheckedAt))) {
                do {
                    runner!.apply(try activeSink.loadOperatorInputs())
                    inputsLoadedAt = clock.now
                    metrics.operatorInputLoads.increment()
                    logger.debug("operator inputs reloaded")
                } catch {
                    sink = nil
                    noteFailure(error, outageStart: &outageStart, now: clock.now)
                    continue
                }
            }

            // 4. Commit when full, old enough, or shutting down (with a last snapshot).
            if stopping && caughtUp, let r = runner, r.snapshotPosition != position || r.detection.hasChanges {
                runner!.attachSnapshot(to: &batch, position: position)
            }
            let due = batch.rowCount >= settings.batchSize
                || (batch.openedAt.map { clock.now - $0 >= settings.batchDelay } ?? false)
                || (stopping && caughtUp)
                || isolation != nil
            if !batch.isEmpty && due {
                if isolation == nil, let r = runner, r.snapshotDue(position: position, spoolCapacity: spool.capacity, now: clock.now) {
                    runner!.attachSnapshot(to: &batch, position: position)
                }
                let started = clock.now
                do {
                    let written: PostgresSink.Written
                    if isolation == nil {
                        written = try activeSink.write(batch, spoolID: spool.spoolID)
                    } else {
                        written = try isolate(&isolation!, batch: &batch, sink: activeSink)
                        isolation = nil
                    }
                    committed(written, started: started)
                } catch where isolation == nil && error.disposition == .isolate {
                    // Not the connection: the rows. Isolate them now, on the same connection.
                    logger.warning("PostgreSQL refused a batch for a reason a retry will not cure; writing it in pieces to isolate the refused rows in dead_letters",
                                   metadata: ["error": "\(error)", "messages": "\(batch.spans.count)", "events": "\(batch.events.count)"])
                    isolation = RefusalIsolation(messages: batch.spans.count, events: batch.events.count, hasSnapshot: batch.snapshot != nil)
                } catch {
                    sink = nil
                    noteFailure(error, outageStart: &outageStart, now: clock.now)
                    sleep(backoff.next())
                }
                continue
            }
            if stopping && caughtUp && batch.isEmpty { break }
            if !readAny {
                if clock.now - lastContact > .seconds(5) {
                    do {
                        try activeSink.ping()
                        lastContact = clock.now
                        if batch.isEmpty { health.withLock { $0 = .writing } }
                    } catch {
                        sink = nil
                        noteFailure(error, outageStart: &outageStart, now: clock.now)
                    }
                }
                usleep(1_000)
            }
        }
        spool.sync()
        metrics.spoolUsedBytes.set(to: Double(spool.usedBytes))
        logger.info("pipeline stopped", metadata: ["unreleased_bytes": "\(spool.usedBytes)"])
    }

    /// Writes a refused batch step by step (`RefusalIsolation`). A transient failure is thrown: the
    /// isolation keeps its place and goes on after the reconnect. Returns what the pieces wrote.
    private func isolate(_ isolation: inout RefusalIsolation, batch: inout IngestBatch, sink: PostgresSink) throws(PGError) -> PostgresSink.Written {
        var total = PostgresSink.Written(readingsInserted: 0, duplicates: 0, rejected: 0, vehiclesAdded: 0)
        while let step = isolation.next {
            do throws(PGError) {
                switch step {
                case .messages(let r): total.add(try sink.write(batch, spoolID: spool.spoolID, part: .messages(r)))
                case .events(let r): total.add(try sink.write(batch, spoolID: spool.spoolID, part: .events(r)))
                case .close(let withSnapshot):
                    total.add(try sink.write(batch, spoolID: spool.spoolID, part: .close(withSnapshot: withSnapshot)))
                    if !withSnapshot && batch.snapshot != nil {
                        logger.error("PostgreSQL refused the detector snapshot; committed without it, the next snapshot follows")
                        batch.snapshot = nil
                    }
                case .deadLetterMessage(let i):
                    let span = batch.spans[i]
                    var payload: [UInt8] = []
                    if case .message(let record)? = spool.read(at: span.position) { payload = Array(record.payload) }
                    let refusal = isolation.lastRefusal
                    try sink.deadLetter(message: span, payload: payload, spoolID: spool.spoolID, refusal: refusal)
                    metrics.deadLetter(sqlState: refusal?.sqlState)
                    logger.error("PostgreSQL refused a message's rows; kept in dead_letters, everything else commits", metadata: [
                        "topic": "\(span.topic)", "spool_position": "\(span.position)",
                        "sqlstate": "\(refusal?.sqlState ?? "none")", "error": "\(refusal?.message ?? "")",
                    ])
                case .deadLetterEvent(let i):
                    let refusal = isolation.lastRefusal
                    try sink.deadLetter(event: batch.events[i], index: i, batchEnd: batch.endPosition, spoolID: spool.spoolID, refusal: refusal)
                    metrics.deadLetter(sqlState: refusal?.sqlState)
                    logger.error("PostgreSQL refused an event row; kept in dead_letters, the readings commit", metadata: [
                        "table": "\(EventRows.row(batch.events[i]).table)", "sqlstate": "\(refusal?.sqlState ?? "none")",
                        "error": "\(refusal?.message ?? "")",
                    ])
                }
                isolation.succeeded()
            } catch where error.disposition == .isolate {
                switch step {
                case .deadLetterMessage, .deadLetterEvent:
                    metrics.deadLettersLost.increment()
                    logger.critical("dead_letters refused the row too; it is skipped (see the log line before for what it was)",
                                    metadata: ["error": "\(error)"])
                case .close(withSnapshot: false):
                    // Nothing can commit while the checkpoint is refused: back off and try again.
                    throw error
                default:
                    break
                }
                isolation.refused(RefusalIsolation.Refusal(sqlState: error.sqlState, message: error.message))
            }
        }
        logger.notice("refused batch isolated", metadata: ["dead_letters": "\(isolation.deadLetters)", "messages": "\(batch.spans.count)"])
        return total
    }

    /// Where to resume: the committed checkpoint of this spool file when it lies within the
    /// spool's unreleased range, else the spool's own released position. With detection, the
    /// detectors are restored from their snapshot and the spool between the snapshot and the
    /// checkpoint is replayed into them first.
    private func startPosition(_ sink: PostgresSink, runner: inout DetectionRunner?) throws(PGError) -> UInt64 {
        let start = try checkpointPosition(sink)
        guard runner != nil else {
            spool.release(upTo: start)
            return start
        }
        let stored = try sink.loadDetection(spoolID: spool.spoolID)
        runner!.restore(stored, logger: logger)
        guard let snapshot = stored.snapshot, snapshot.position >= spool.releasedPosition, snapshot.position <= start else {
            if let snapshot = stored.snapshot {
                logger.warning("detector snapshot lies outside the spool; detectors continue from the stored states without replay",
                               metadata: ["snapshot": "\(snapshot.position)", "checkpoint": "\(start)"])
                runner!.forgetSnapshotPosition()
            }
            spool.release(upTo: start)
            return start
        }
        spool.release(upTo: snapshot.position)
        replay(from: snapshot.position, to: start, ticks: stored.ticks, runner: &runner!)
        return start
    }

    /// Feeds the committed part of the spool after the snapshot to the detectors again.
    private func replay(from: UInt64, to end: UInt64, ticks: [DetectorTick], runner: inout DetectionRunner) {
        var position = from
        var nextTick = ticks.startIndex
        var decoded = DecodedMessage()
        var messages = 0
        let started = ContinuousClock.now
        while position < end, let entry = spool.read(at: position) {
            while nextTick < ticks.endIndex && ticks[nextTick].position <= position {
                runner.replay(ticks[nextTick])
                nextTick += 1
            }
            switch entry {
            case .message(let record):
                if !record.isCut {
                    decoded.removeAll()
                    decoder.decode(topic: record.topic, payload: record.payload, into: &decoded)
                    runner.replay(decoded, receivedAtNanos: record.receivedAtNanos)
                }
                messages += 1
                position = record.next
            case .unreadable(let range):
                position = range.upperBound
            }
        }
        while nextTick < ticks.endIndex && ticks[nextTick].position <= end {
            runner.replay(ticks[nextTick])
            nextTick += 1
        }
        if messages > 0 {
            logger.notice("detectors rebuilt from their snapshot by replaying committed messages", metadata: [
                "messages": "\(messages)", "seconds": "\(Self.seconds(ContinuousClock.now - started))",
            ])
        }
    }

    private func checkpointPosition(_ sink: PostgresSink) throws(PGError) -> UInt64 {
        let released = spool.releasedPosition
        let head = spool.headPosition
        let checkpoint = try sink.checkpoint(spoolID: spool.spoolID)
        let start: UInt64
        switch checkpoint {
        case let cp? where cp >= released && cp <= head:
            start = cp
        case let cp? where cp > head:
            logger.warning("checkpoint lies beyond the spool's head (spool tail lost in a power cut?); resuming at head",
                           metadata: ["checkpoint": "\(cp)", "head": "\(head)"])
            start = head
        case let cp?:
            logger.warning("checkpoint lies before the spool's released range (database restored from backup?); resuming at the spool's released position",
                           metadata: ["checkpoint": "\(cp)", "released": "\(released)"])
            start = released
        case nil:
            start = released
        }
        if head > start {
            logger.notice("replaying spooled messages not yet in PostgreSQL", metadata: ["bytes": "\(head - start)", "spool": "\(spool.path)"])
        }
        return start
    }

    /// Whether an operator's edit was notified since the last look.
    private func checkNotified(_ sink: PostgresSink, at checked: inout ContinuousClock.Instant) -> Bool {
        checked = .now
        // A failure here shows up on the next write too; a reload attempt is harmless.
        return (try? sink.configChanged()) ?? true
    }

    private func record(_ written: PostgresSink.Written, batch: IngestBatch, commitTime: Duration, vehicles: inout Set<String>) {
        metrics.batchCommitSeconds.record(commitTime)
        metrics.batchRows.record(Double(batch.rowCount))
        metrics.readingsAccepted.increment(by: Int64(batch.decoded.readings.count))
        metrics.readingsDuplicate.increment(by: Int64(written.duplicates))
        metrics.rowsWritten["readings"]?.increment(by: Int64(written.readingsInserted))
        metrics.rowsWritten["rejected_messages"]?.increment(by: Int64(written.rejected))
        metrics.rowsWritten["vehicles"]?.increment(by: Int64(written.vehiclesAdded))
        metrics.impossibleValues.increment(by: Int64(batch.decoded.impossible.count))
        metrics.readingsLate.increment(by: Int64(batch.late))
        metrics.rowsWritten["fuel_transactions"]?.increment(by: Int64(written.transactions))
        metrics.rowsWritten["anomalies"]?.increment(by: Int64(written.anomalies))
        metrics.rowsWritten["maintenance_alerts"]?.increment(by: Int64(written.alerts))
        for e in batch.events {
            switch e {
            case .transaction(let tx): metrics.fuelTransactions[tx.kind.rawValue]?.increment()
            case .anomaly(let a): metrics.anomalies[a.kind.rawValue]?.increment()
            case .maintenance(let m): metrics.maintenanceAlerts[m.level.rawValue]?.increment()
            }
        }
        for row in batch.rejected { metrics.readingsRejected[row.reason]?.increment() }
        let committedAt = WallClock.nowNanos()
        for (i, r) in batch.decoded.readings.enumerated() {
            metrics.ingestLatencySeconds.recordNanoseconds(max(0, committedAt - batch.receivedAtNanos[i]))
            if vehicles.insert(r.vehicleID).inserted { metrics.vehiclesTracked.set(to: Double(vehicles.count)) }
        }
        metrics.spoolUsedBytes.set(to: Double(spool.usedBytes))
    }

    private func noteFailure(_ error: PGError, outageStart: inout ContinuousClock.Instant?, now: ContinuousClock.Instant) {
        metrics.postgresErrors.increment()
        metrics.postgresConnected.set(to: 0)
        health.withLock { $0 = $0.after(error, nowNanos: WallClock.nowNanos()) }
        if outageStart == nil { outageStart = now }
        // One line per distinct error, repeated once a minute while it lasts: enough at 3 a.m.
        let message = error.description
        if message != lastLoggedError || lastLoggedAt.map({ now - $0 > .seconds(60) }) ?? true {
            let what = error.connectionLost ? "PostgreSQL unavailable" : "PostgreSQL refused the batch"
            logger.error("\(what); readings stay in the spool, retrying", metadata: [
                "error": "\(message)", "unreleased_bytes": "\(spool.usedBytes)",
            ])
            lastLoggedError = message
            lastLoggedAt = now
        }
    }

    /// Sleeps in short steps; once stopping, retries every 200 ms until the shutdown deadline.
    private func sleep(_ d: Duration) {
        let end = ContinuousClock.now + d
        while ContinuousClock.now < end {
            if stopping { usleep(200_000); return }
            usleep(10_000)
        }
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }

    static func seconds(_ d: Duration) -> String {
        let c = d.components
        return String(format: "%.1f", Double(c.seconds) + Double(c.attoseconds) / 1e18)
    }
}
