import FleetCore
import LibPQ

/// The pipeline's decisions, without I/O: events in (connected, read, caught up, written, failed,
/// inputs loaded, notified, pinged, stop requested, next), actions out (connect, read, write, dead-letter,
/// release, reload inputs, ping, sleep, report, finish). `Pipeline` performs the actions against the
/// spool and PostgreSQL and feeds back what happened, the way postgres-nio drives its connection
/// state machines; time comes in with every event.
///
/// What it guarantees, each a unit test: the spool is released only past what is committed and never
/// past the detectors' last committed snapshot; the checkpoint commits with its batch; a refused message
/// is dead-lettered once and the rest commit; a commit whose answer was lost is not written twice;
/// operators' inputs are applied before replay; a stop that times out releases nothing uncommitted.
struct IngestStateMachine {
    private let settings: PipelineSettings
    private let spoolCapacity: UInt64
    private let decoder: PayloadDecoder

    /// What the next commit writes. Only the state machine writes it; the driver reads it to perform
    /// a write or a dead letter.
    private(set) var batch = IngestBatch()
    /// The detectors (detection on).
    private(set) var runner: DetectionRunner?

    private enum Connection {
        /// No connection; the next attempt is due at `retryAt` (now when nil).
        case down(retryAt: ContinuousClock.Instant?)
        case up
    }

    enum Phase: Equatable {
        /// Not connected yet: where to resume is not known.
        case starting
        /// Feeding the committed spool after the detectors' snapshot back to them.
        case replaying
        case running
    }

    /// What the driver was asked and has not answered yet.
    private enum Awaiting {
        case connect(ConnectPlan)
        case read
        case write(PostgresSink.Part)
        case deadLetter
        case reload
        case notification
        case ping
        case upkeep
        case states
    }

    /// One pass: fill the batch, then decide about ticks, inputs, the commit and idling.
    private struct Round {
        var reading = true
        var readAny = false
        var caughtUp = false
        var idleChecked = false
        var inputsChecked = false
        var upkeepChecked = false
    }

    private var connection = Connection.down(retryAt: nil)
    private(set) var phase = Phase.starting
    private var awaiting: Awaiting?
    private var round = Round()
    /// Reports and releases to hand out before deciding anything else.
    private var pending: [Action] = []
    private var backoff = Backoff(initial: .milliseconds(250), maximum: .seconds(5))
    private var migrated = false

    /// Where the next spool read starts (after the batch).
    private(set) var readPosition: UInt64?
    /// The checkpoint known to be committed: a batch ending beyond it is not in PostgreSQL yet.
    private(set) var committedPosition: UInt64?
    /// A write of this batch was attempted: it takes nothing more (no reads, ticks or snapshots), so
    /// a retry, a check of a lost commit and an isolation all see the same rows.
    private var sealed = false
    /// A batch PostgreSQL refused, being written in pieces until the refused rows stand alone.
    private var isolation: RefusalIsolation?
    private var isolationWritten = PostgresSink.Written.none
    private var writeStarted: ContinuousClock.Instant
    private var replay: Replay?
    /// Vehicles whose state is stored in `vehicle_state` but not in memory (evicted as idle, or idle
    /// at start): loaded when one of them sends again.
    private var storedOnly = Set<String>()
    /// Readings waiting for their vehicles' states: the vehicles asked for (asked again after a
    /// reconnect until they arrive) and what to feed once they have.
    private var waitingForStates: (vehicles: [String], then: AfterLoad)?

    private enum AfterLoad {
        /// The batch's readings from this index (live).
        case feed(from: Int)
        /// A replayed message.
        case replay(DecodedMessage, receivedAtNanos: Int64)
    }
    private var rejectionBudget: RejectionBudget

    private var stopDeadline: ContinuousClock.Instant?
    private var outageStart: ContinuousClock.Instant?
    private var lastContact: ContinuousClock.Instant
    private var lastRecordAt: ContinuousClock.Instant
    private var inputsLoadedAt: ContinuousClock.Instant
    private var notificationsCheckedAt: ContinuousClock.Instant
    private var upkeptAt: ContinuousClock.Instant

    static let pingAfter = Duration.seconds(5)
    static let notificationCheckEvery = Duration.milliseconds(250)
    static let idleSleep = Duration.milliseconds(1)
    static let retryWhileStopping = Duration.milliseconds(200)
    /// How often the upkeep runs (partitions, old refusals); the first time before the first commit.
    static let upkeepEvery = Duration.seconds(60)

    init(settings: PipelineSettings, spoolCapacity: UInt64, now: Moment) {
        self.settings = settings
        self.spoolCapacity = spoolCapacity
        decoder = PayloadDecoder(limits: settings.limits)
        rejectionBudget = RejectionBudget(perMinute: settings.rejectBudget)
        runner = settings.detection
            ? DetectionRunner(windowMs: settings.reorderWindow.wholeMilliseconds, snapshotInterval: settings.snapshotInterval, now: now.monotonic)
            : nil
        writeStarted = now.monotonic
        lastContact = now.monotonic
        lastRecordAt = now.monotonic
        inputsLoadedAt = now.monotonic
        notificationsCheckedAt = now.monotonic
        upkeptAt = now.monotonic - Self.upkeepEvery
    }

    var isStopping: Bool { stopDeadline != nil }

    // MARK: Events

    /// A stop was asked for: commit what is read (with a last snapshot) until the shutdown timeout.
    /// Takes effect at the next decision.
    mutating func stopRequested(at now: Moment) {
        guard stopDeadline == nil else { return }
        stopDeadline = now.monotonic + settings.shutdownTimeout
        if case .down(let retryAt?) = connection {
            connection = .down(retryAt: min(retryAt, now.monotonic + Self.retryWhileStopping))
        }
    }

    /// The last action needs no answer (or the sleep is over): what next.
    mutating func next(at now: Moment) -> Action {
        awaiting = nil
        return decide(now)
    }

    mutating func connected(_ c: Connected, at now: Moment) -> Action {
        guard case .connect(let plan) = awaiting else { preconditionFailure("connected without a connect") }
        awaiting = nil
        if plan.migrate { migrated = true }
        connection = .up
        backoff.reset()
        lastContact = now.monotonic
        pending.append(.report(.connected(afterOutage: outageStart != nil)))
        // Inputs first, always: replay and the first reload interval run with them.
        if let inputs = c.inputs, runner != nil {
            runner!.apply(inputs)
            inputsLoadedAt = now.monotonic
        }
        switch plan.resume {
        case .none:
            break
        case .start:
            resume(c, at: now)
        case .verifyCommit:
            if let stored = c.checkpoint, stored >= batch.endPosition {
                pending.append(.report(.commitWentThrough(checkpoint: stored)))
                isolation = nil
                let written = PostgresSink.Written(readingsInserted: batch.decoded.readings.count, duplicates: 0,
                                                   rejected: batch.rejected.count, vehiclesAdded: 0)
                pending.append(commit(written, at: now))
            }
        }
        return decide(now)
    }

    mutating func read(_ entry: SpoolEntry, at now: Moment) -> Action {
        awaiting = nil
        if phase == .replaying, var r = replay, runner != nil {
            let message = r.take(entry, ticksTo: &runner!, decoder: decoder)
            replay = r
            if let message {
                let missing = storedOnly.isEmpty ? [] : statesToLoad(message.decoded.readings[...])
                if !missing.isEmpty { return waitForStates(missing, then: .replay(message.decoded, receivedAtNanos: message.receivedAtNanos)) }
                runner!.replay(message.decoded, receivedAtNanos: message.receivedAtNanos)
            }
            return decide(now)
        }
        guard let position = readPosition else { preconditionFailure("read before resuming") }
        round.readAny = true
        lastRecordAt = now.monotonic
        switch entry {
        case .message(let record):
            let before = batch.decoded.readings.count
            batch.add(record, decoder: decoder, now: now.monotonic, budget: &rejectionBudget)
            readPosition = record.next
            // Checked here, not only inside: the call copies the whole machine (measured: a tenth of the
            // pipeline thread while draining a backlog), and almost always nothing is stored only.
            let missing = storedOnly.isEmpty ? [] : statesToLoad(batch.decoded.readings[before...])
            if !missing.isEmpty { return waitForStates(missing, then: .feed(from: before)) }
            runner?.feed(&batch, from: before)
        case .unreadable(let range):
            pending.append(.report(.unreadable(range)))
            readPosition = max(position, range.upperBound)
            batch.endPosition = range.upperBound
            if batch.openedAt == nil { batch.openedAt = now.monotonic }
            batch.messages += 1
        }
        return decide(now)
    }

    /// The spool has nothing at the position read.
    mutating func caughtUp(at now: Moment) -> Action {
        awaiting = nil
        if phase == .replaying {
            finishReplay(at: now)
        } else {
            round.reading = false
            round.caughtUp = true
        }
        return decide(now)
    }

    /// The stored states of vehicles not in memory (those without one start afresh); the readings
    /// that waited for them go on.
    mutating func statesLoaded(_ states: [(vehicleID: String, bytes: [UInt8])], requested: [String], at now: Moment) -> Action {
        awaiting = nil
        if runner != nil {
            let unusable = runner!.adopt(states)
            if unusable > 0 { pending.append(.report(.unusableStates(unusable))) }
        }
        storedOnly.subtract(requested)
        switch waitingForStates?.then {
        case .feed(let from)?: runner?.feed(&batch, from: from)
        case .replay(let decoded, let receivedAtNanos)?: runner?.replay(decoded, receivedAtNanos: receivedAtNanos)
        case nil: break
        }
        waitingForStates = nil
        return decide(now)
    }

    mutating func inputsLoaded(_ inputs: OperatorInputs, at now: Moment) -> Action {
        awaiting = nil
        runner?.apply(inputs)
        inputsLoadedAt = now.monotonic
        pending.append(.report(.inputsReloaded))
        return decide(now)
    }

    mutating func notified(_ changed: Bool, at now: Moment) -> Action {
        awaiting = nil
        guard changed, runner != nil else { return decide(now) }
        awaiting = .reload
        return .reloadInputs
    }

    /// The upkeep round is done (what PostgreSQL refused of it is in `done.problems`).
    mutating func upkept(_ done: Upkeep.Done, at now: Moment) -> Action {
        awaiting = nil
        if done != Upkeep.Done() { pending.append(.report(.upkept(done))) }
        return decide(now)
    }

    mutating func pinged(at now: Moment) -> Action {
        awaiting = nil
        lastContact = now.monotonic
        if batch.isEmpty { pending.append(.report(.reachable)) }
        return decide(now)
    }

    /// A connect, write, dead letter, reload, notification check or ping failed.
    mutating func failed(_ error: PGError, at now: Moment) -> Action {
        let what = awaiting
        awaiting = nil
        switch what {
        case .connect:
            disconnect(error, retryAfter: true, at: now)
        case .write, .deadLetter:
            return writeFailed(error, at: now)
        case .reload, .notification, .ping, .upkeep, .states, .read, nil:
            disconnect(error, retryAfter: false, at: now)
        }
        return decide(now)
    }

    /// A write (the whole batch or a piece of an isolation) or a dead letter committed.
    mutating func written(_ written: PostgresSink.Written, at now: Moment) -> Action {
        awaiting = nil
        guard var iso = isolation else { return commit(written, at: now) }
        if case .close(withSnapshot: false)? = iso.next, let dropped = batch.snapshot {
            // The checkpoint went without the snapshot: the detectors' replay point stays where it was,
            // and the vehicles it held go into the next snapshot.
            pending.append(.report(.snapshotRefused))
            runner?.snapshotDropped(dropped)
            batch.snapshot = nil
        }
        isolationWritten.add(written)
        iso.succeeded()
        isolation = iso
        if iso.isDone {
            pending.append(.report(.isolated(deadLetters: iso.deadLetters, messages: batch.spans.count)))
            pending.append(commit(isolationWritten, at: now))
        }
        return decide(now)
    }

    // MARK: Decisions

    /// A write failed: a retry for the connection or the server, an isolation for the rows.
    private mutating func writeFailed(_ error: PGError, at now: Moment) -> Action {
        guard error.disposition == .isolate else {
            disconnect(error, retryAfter: true, at: now)
            return decide(now)
        }
        guard var iso = isolation, let step = iso.next else {
            pending.append(.report(.isolating(error, messages: batch.spans.count, events: batch.events.count)))
            isolation = RefusalIsolation(messages: batch.spans.count, events: batch.events.count, hasSnapshot: batch.snapshot != nil)
            isolationWritten = .none
            return decide(now)
        }
        switch step {
        case .deadLetterMessage, .deadLetterEvent:
            pending.append(.report(.deadLetterLost(error)))
        case .close(withSnapshot: false):
            // Nothing can commit while the checkpoint is refused: back off and try again.
            disconnect(error, retryAfter: true, at: now)
            return decide(now)
        case .messages, .events, .close(withSnapshot: true):
            break
        }
        iso.refused(RefusalIsolation.Refusal(sqlState: error.sqlState, message: error.message))
        isolation = iso
        return decide(now)
    }

    /// The isolation's next piece.
    private mutating func isolationStep() -> Action {
        guard let iso = isolation, let step = iso.next else { preconditionFailure("no isolation step left") }
        switch step {
        case .messages(let r):
            awaiting = .write(.messages(r))
            return .write(.messages(r))
        case .events(let r):
            awaiting = .write(.events(r))
            return .write(.events(r))
        case .close(let withSnapshot):
            awaiting = .write(.close(withSnapshot: withSnapshot))
            return .write(.close(withSnapshot: withSnapshot))
        case .deadLetterMessage(let i):
            awaiting = .deadLetter
            return .deadLetterMessage(index: i, refusal: iso.lastRefusal)
        case .deadLetterEvent(let i):
            awaiting = .deadLetter
            return .deadLetterEvent(index: i, refusal: iso.lastRefusal)
        }
    }

    /// The first connection: where to resume, the detectors restored from their snapshot, and the
    /// committed spool after it replayed into them.
    private mutating func resume(_ c: Connected, at now: Moment) {
        let (start, reports) = Self.startPosition(checkpoint: c.checkpoint, released: c.released, head: c.head)
        pending.append(contentsOf: reports.map(Action.report))
        readPosition = start
        committedPosition = start
        phase = .running
        guard runner != nil, let stored = c.stored else {
            pending.append(.release(upTo: start))
            return
        }
        let unusable = runner!.restore(stored, now: now.monotonic)
        storedOnly = Set(stored.idleVehicles)
        if unusable > 0 { pending.append(.report(.unusableStates(unusable))) }
        guard let snapshot = stored.snapshot, snapshot.position >= c.released, snapshot.position <= start else {
            if let snapshot = stored.snapshot {
                pending.append(.report(.snapshotOutsideSpool(snapshot: snapshot.position, checkpoint: start)))
                runner!.forgetSnapshotPosition()
            }
            pending.append(.release(upTo: start))
            return
        }
        pending.append(.release(upTo: snapshot.position))
        replay = Replay(from: snapshot.position, to: start, ticks: stored.ticks, began: now.monotonic)
        phase = .replaying
    }

    private mutating func finishReplay(at now: Moment) {
        guard var r = replay, runner != nil else { return }
        r.finish(to: &runner!)
        if r.messages > 0 { pending.append(.report(.replayed(messages: r.messages, took: now.monotonic - r.began))) }
        replay = nil
        phase = .running
    }

    private mutating func decide(_ now: Moment) -> Action {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            if let deadline = stopDeadline, now.monotonic >= deadline { return .finish(.timedOut) }

            // 1. A working connection, and where to resume.
            if case .down(let retryAt) = connection {
                if let r = retryAt, now.monotonic < r { return .sleep(r - now.monotonic) }
                let plan = ConnectPlan(migrate: settings.migrate && !migrated, loadInputs: runner != nil, resume: resumePlan)
                awaiting = .connect(plan)
                return .connect(plan)
            }
            // Readings wait for their vehicles' states: nothing else goes first.
            if let waiting = waitingForStates {
                awaiting = .states
                return .loadStates(waiting.vehicles)
            }
            if phase == .replaying, let r = replay {
                if r.isDone {
                    finishReplay(at: now)
                    continue
                }
                awaiting = .read
                return .read(at: r.position)
            }
            guard let position = readPosition else { preconditionFailure("connected without a start position") }

            // 2. Fill the batch from the spool.
            if round.reading {
                if !sealed && batch.rowCount < settings.batchSize {
                    awaiting = .read
                    return .read(at: position)
                }
                round.reading = false
            }
            if round.readAny || !round.caughtUp { round.idleChecked = true }
            if !round.idleChecked {
                round.idleChecked = true
                if !sealed { tickIfIdle(position: position, at: now) }
            }

            // 3. Operators' edits: at once when notified, and every so often anyway.
            if !round.inputsChecked {
                round.inputsChecked = true
                if runner != nil {
                    if now.monotonic - inputsLoadedAt >= settings.operatorInputsReload {
                        awaiting = .reload
                        return .reloadInputs
                    }
                    if now.monotonic - notificationsCheckedAt >= Self.notificationCheckEvery {
                        notificationsCheckedAt = now.monotonic
                        awaiting = .notification
                        return .checkNotified
                    }
                }
            }

            // Partitions ahead and past the retention, old refusals: between batches.
            if !round.upkeepChecked {
                round.upkeepChecked = true
                if !isStopping && now.monotonic - upkeptAt >= Self.upkeepEvery {
                    upkeptAt = now.monotonic
                    awaiting = .upkeep
                    func kept(_ d: Duration) -> Duration? { d > .zero ? d : nil }
                    return .upkeep(Upkeep(rejectedOlderThan: kept(settings.rejectedRetention),
                                          deadLettersOlderThan: kept(settings.deadLetterRetention),
                                          readingsRetention: kept(settings.readingsRetention)))
                }
            }

            // 4. Commit when full, old enough, or stopping (with a last snapshot).
            let stoppingCaughtUp = isStopping && round.caughtUp
            if stoppingCaughtUp && !sealed, let r = runner, r.snapshotPosition != position || r.detection.hasChanges {
                runner!.attachSnapshot(to: &batch, position: position)
            }
            let due = sealed
                || batch.rowCount >= settings.batchSize
                || (batch.openedAt.map { now.monotonic - $0 >= settings.batchDelay } ?? false)
                || stoppingCaughtUp
            if !batch.isEmpty && due {
                if isolation != nil { return isolationStep() }
                if !sealed, let r = runner, r.snapshotDue(position: position, spoolCapacity: spoolCapacity, now: now.monotonic) {
                    runner!.attachSnapshot(to: &batch, position: position)
                }
                if !sealed { attachStatus(now) }
                sealed = true
                writeStarted = now.monotonic
                awaiting = .write(.whole)
                return .write(.whole)
            }
            if stoppingCaughtUp && batch.isEmpty { return .finish(.drained) }
            if !round.readAny {
                if now.monotonic - lastContact > Self.pingAfter {
                    awaiting = .ping
                    return .ping
                }
                round = Round()
                return .sleep(Self.idleSleep)
            }
            round = Round()
        }
    }

    /// Vehicle status goes with the batch: what the detectors' runner gathered, when due (with detection
    /// off, nothing replays after a crash: each batch carries its own readings' status).
    private mutating func attachStatus(_ now: Moment) {
        if runner != nil {
            runner!.attachStatusIfDue(to: &batch, now: now.monotonic)
        } else if !batch.decoded.readings.isEmpty {
            var status = FleetStatus()
            for (i, r) in batch.decoded.readings.enumerated() { status.add(r, receivedAtNanos: batch.receivedAtNanos[i]) }
            batch.status = status
        }
    }

    /// Holds readings back until these vehicles' stored states are loaded.
    private mutating func waitForStates(_ vehicles: [String], then: AfterLoad) -> Action {
        waitingForStates = (vehicles, then)
        awaiting = .states
        return .loadStates(vehicles)
    }

    /// The vehicles among these readings whose state is stored but not in memory.
    private func statesToLoad(_ readings: ArraySlice<Reading>) -> [String] {
        guard runner != nil, !storedOnly.isEmpty else { return [] }
        var out: [String] = []
        for reading in readings where storedOnly.contains(reading.vehicleID) && !runner!.detection.holdsState(of: reading.vehicleID)
            && !out.contains(reading.vehicleID) {
            out.append(reading.vehicleID)
        }
        return out
    }

    /// How the next connection resumes.
    private var resumePlan: ConnectPlan.Resume {
        if phase == .starting { return .start }
        if !batch.isEmpty, let known = committedPosition, batch.endPosition > known { return .verifyCommit }
        return .none
    }

    /// With the stream idle, readings held in the reorder window are released by the wall clock, and
    /// an idle stream still gets its snapshot soon, so the spool empties and a restart replays nothing.
    private mutating func tickIfIdle(position: UInt64, at now: Moment) {
        guard runner != nil else { return }
        runner!.tickIfIdle(&batch, position: position, nowMs: now.wallNanos / 1_000_000, opened: now.monotonic)
        if batch.isEmpty && now.monotonic - lastRecordAt >= .seconds(1) && runner!.idleSnapshotDue(position: position, now: now.monotonic) {
            runner!.attachSnapshot(to: &batch, position: position)
            batch.openedAt = now.monotonic
        }
    }

    /// `batch` committed: what the driver releases and records; the batch starts afresh.
    private mutating func commit(_ written: PostgresSink.Written, at now: Moment) -> Action {
        committedPosition = batch.endPosition
        runner?.committed(batch, now: now.monotonic)
        // With a snapshot stored, idle vehicles unchanged since it can leave memory.
        if batch.snapshot != nil, settings.vehicleIdleEvict > .zero, runner != nil {
            let evicted = runner!.evictIdle(idleFor: settings.vehicleIdleEvict)
            if !evicted.isEmpty {
                storedOnly.formUnion(evicted)
                pending.append(.report(.evicted(vehicles: evicted.count)))
            }
        }
        // With detection, the spool keeps what a replay from the snapshot needs.
        let release = min(runner?.snapshotPosition ?? batch.endPosition, batch.endPosition)
        let done = Commit(batch: batch, written: written, commitTime: now.monotonic - writeStarted, releaseUpTo: release,
                          outage: outageStart.map { now.monotonic - $0 })
        outageStart = nil
        lastContact = now.monotonic
        batch.removeAll()
        sealed = false
        isolation = nil
        round = Round()
        return .committed(done)
    }

    /// The connection is gone (or must go): reconnect now, or after a back-off.
    private mutating func disconnect(_ error: PGError, retryAfter: Bool, at now: Moment) {
        pending.append(.report(.failure(error)))
        if outageStart == nil { outageStart = now.monotonic }
        let delay = retryAfter ? (isStopping ? Self.retryWhileStopping : backoff.next()) : nil
        connection = .down(retryAt: delay.map { now.monotonic + $0 })
        round = Round()
    }
}
