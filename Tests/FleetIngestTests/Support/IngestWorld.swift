import FleetCore
import Foundation
import LibPQ
@testable import FleetIngest

/// What the ingest state machine's actions do, kept in memory: a spool of messages and a database
/// that stores rows by key, moves the checkpoint with the batch's closing transaction, and fails or
/// refuses on the test's say. No I/O: the state machine is tested on its decisions.
final class IngestWorld {
    typealias Machine = IngestStateMachine

    struct Message {
        var position: UInt64
        var next: UInt64
        var topic: String
        var payload: UnsafeMutableRawBufferPointer
        var receivedAtNanos: Int64
    }

    private(set) var spool: [Message] = []
    private(set) var released: UInt64 = 0
    var head: UInt64 { spool.last?.next ?? 0 }

    // The database.
    private(set) var checkpoint: UInt64?
    /// How many times each spool position's rows were inserted (a second insert is a duplicate).
    private(set) var stored: [UInt64: Int] = [:]
    private(set) var deadLetters: [UInt64] = []
    private(set) var deadEvents: [Int] = []
    private(set) var snapshotPosition: UInt64?
    private(set) var snapshotClockMs: Int64 = .min
    /// `vehicle_state`: each vehicle's state as of the snapshot that last wrote it.
    private(set) var storedStates: [String: [UInt8]] = [:]
    var storedDetection = StoredDetection()
    /// Vehicles whose stored state a start loads by id only (idle longer than the eviction age).
    var idleAtStart: Set<String> = []
    var inputs = OperatorInputs()
    /// `vehicle_status` and `vehicle_days` as the batches' status rows merged them.
    private(set) var storedStatus = FleetStatus()

    // What the test makes happen.
    var databaseUp = true
    /// Refuses a write holding a message whose topic contains this (a data error, SQLSTATE 23514).
    var poisonTopic: String?
    /// Refuses a write holding an event row at these indices.
    var refuseEvents = false
    /// Refuses a write holding a detector snapshot (a constraint an operator put on vehicle_state).
    var refuseSnapshots = false
    /// The next whole-batch COMMIT goes through but its answer is lost with the connection.
    var loseNextCommitAnswer = false
    /// Transient failures (serialization, 40001) of the next whole-batch writes.
    var transientFailures = 0

    // What the state machine did.
    private(set) var actions: [String] = []
    private(set) var commits: [Machine.Commit] = []
    private(set) var releases: [UInt64] = []
    private(set) var reports: [Machine.Report] = []
    private(set) var sleeps: [Duration] = []
    private(set) var finished: Machine.Finish?
    /// Whether detection had the operators' inputs when the first replay read was asked for.
    private(set) var inputsAtFirstReplayRead: Bool?
    private(set) var wholeWrites = 0

    var now: Machine.Moment
    var machine: Machine

    init(settings: PipelineSettings, capacity: UInt64 = 1 << 20) {
        now = Machine.Moment(monotonic: .now, wallNanos: 1_700_000_000_000_000_000)
        machine = Machine(settings: settings, spoolCapacity: capacity, now: now)
    }

    deinit { for m in spool { m.payload.deallocate() } }

    /// Spools a fuel reading of `vehicle` at device time `ts` (ms).
    func publish(_ vehicle: String, ts: Int64, fuel: Double = 50, odometer: Double? = nil, topicSuffix: String = "fuel") {
        let json = #"{"ts":\#(ts),"fuel_l":\#(fuel)"# + (odometer.map { #","odometer_km":\#($0)"# } ?? "") + "}"
        let bytes = Array(json.utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        buffer.copyBytes(from: bytes)
        let position = head
        spool.append(Message(position: position, next: position + UInt64(64 + bytes.count), topic: "fleet/\(vehicle)/\(topicSuffix)",
                             payload: buffer, receivedAtNanos: now.wallNanos))
    }

    func advance(_ d: Duration) { now = now + d }

    /// What a previous run committed.
    func setCheckpoint(_ p: UInt64) { checkpoint = p }

    private func entry(at position: UInt64) -> SpoolEntry? {
        guard let m = spool.first(where: { $0.position == position }) else { return nil }
        return .message(SpoolRecord(position: m.position, next: m.next, receivedAtNanos: m.receivedAtNanos, topic: m.topic,
                                    payload: UnsafeRawBufferPointer(m.payload), originalLength: m.payload.count))
    }

    private func refusal(of part: PostgresSink.Part) -> PGError? {
        let batch = machine.batch
        let scope = part.scope(in: batch)
        let (messages, events) = (scope.messages, scope.events)
        if let poison = poisonTopic, messages.contains(where: { batch.spans[$0].topic.contains(poison) }) {
            return PGError(message: "new row violates check constraint", sqlState: "23514", connectionLost: false)
        }
        if refuseEvents && !events.isEmpty {
            return PGError(message: "trigger refused", sqlState: "P0001", connectionLost: false)
        }
        if refuseSnapshots && scope.closing && scope.snapshot && batch.snapshot != nil {
            return PGError(message: "vehicle_state refused", sqlState: "23514", connectionLost: false)
        }
        return nil
    }

    /// Applies a part's rows as one transaction.
    private func apply(_ part: PostgresSink.Part) -> PostgresSink.Written {
        let batch = machine.batch
        let scope = part.scope(in: batch)
        var written = PostgresSink.Written.none
        for i in scope.messages {
            let p = batch.spans[i].position
            stored[p, default: 0] += 1
            if stored[p]! > 1 { written.duplicates += 1 } else { written.readingsInserted += 1 }
        }
        if scope.closing {
            checkpoint = batch.endPosition
            if let st = batch.status { storedStatus.merge(st) }
            if scope.snapshot, let s = batch.snapshot {
                snapshotPosition = s.position
                snapshotClockMs = s.clockMs
                for (id, bytes) in s.states { storedStates[id] = bytes }
            }
        }
        return written
    }

    /// Performs one action and feeds back what happened; false once finished.
    @discardableResult
    func step() -> Bool {
        let action = pendingAction
        switch action {
        case .connect(let plan):
            actions.append("connect")
            guard databaseUp else {
                pendingAction = machine.failed(PGError(message: "connection refused", connectionLost: true), at: now)
                return true
            }
            var c = Machine.Connected(released: released, head: head)
            if plan.loadInputs { c.inputs = inputs }
            if plan.resume != .none { c.checkpoint = checkpoint }
            if plan.resume == .start && machine.runner != nil {
                var stored = storedDetection
                if !idleAtStart.isEmpty {
                    stored.states = storedStates.filter { !idleAtStart.contains($0.key) }.map { ($0.key, $0.value) }
                    stored.idleVehicles = Array(idleAtStart)
                }
                c.stored = stored
            }
            pendingAction = machine.connected(c, at: now)
        case .read(let position):
            if machine.phase == .replaying && inputsAtFirstReplayRead == nil {
                inputsAtFirstReplayRead = machine.runner?.inputs != nil
            }
            if let e = entry(at: position) {
                pendingAction = machine.read(e, at: now)
            } else {
                pendingAction = machine.caughtUp(at: now)
            }
        case .write(let part):
            actions.append("write \(part)")
            if case .whole = part { wholeWrites += 1 }
            guard databaseUp else {
                pendingAction = machine.failed(PGError(message: "server closed the connection", connectionLost: true), at: now)
                return true
            }
            if case .whole = part, transientFailures > 0 {
                transientFailures -= 1
                pendingAction = machine.failed(PGError(message: "could not serialize access", sqlState: "40001", connectionLost: false), at: now)
                return true
            }
            if let e = refusal(of: part) {
                pendingAction = machine.failed(e, at: now)
                return true
            }
            let written = apply(part)
            if case .whole = part, loseNextCommitAnswer {
                loseNextCommitAnswer = false
                pendingAction = machine.failed(PGError(message: "server closed the connection unexpectedly", connectionLost: true), at: now)
                return true
            }
            pendingAction = machine.written(written, at: now)
        case .deadLetterMessage(let index, _):
            actions.append("dead letter message")
            deadLetters.append(machine.batch.spans[index].position)
            pendingAction = machine.written(.none, at: now)
        case .deadLetterEvent(let index, _):
            actions.append("dead letter event")
            deadEvents.append(index)
            pendingAction = machine.written(.none, at: now)
        case .committed(let c):
            commits.append(c)
            releases.append(c.releaseUpTo)
            released = max(released, c.releaseUpTo)
            pendingAction = machine.next(at: now)
        case .release(let p):
            releases.append(p)
            released = max(released, p)
            pendingAction = machine.next(at: now)
        case .reloadInputs:
            pendingAction = databaseUp ? machine.inputsLoaded(inputs, at: now)
                : machine.failed(PGError(message: "connection lost", connectionLost: true), at: now)
        case .checkNotified:
            pendingAction = machine.notified(false, at: now)
        case .loadStates(let ids):
            actions.append("load states")
            let found = ids.compactMap { id in storedStates[id].map { (vehicleID: id, bytes: $0) } }
            pendingAction = databaseUp ? machine.statesLoaded(found, requested: ids, at: now)
                : machine.failed(PGError(message: "connection lost", connectionLost: true), at: now)
        case .upkeep:
            actions.append("upkeep")
            pendingAction = databaseUp ? machine.upkept(Upkeep.Done(), at: now)
                : machine.failed(PGError(message: "connection lost", connectionLost: true), at: now)
        case .ping:
            pendingAction = databaseUp ? machine.pinged(at: now)
                : machine.failed(PGError(message: "connection lost", connectionLost: true), at: now)
        case .sleep(let d):
            sleeps.append(d)
            advance(d)
            pendingAction = machine.next(at: now)
        case .report(let r):
            reports.append(r)
            pendingAction = machine.next(at: now)
        case .finish(let f):
            finished = f
            return false
        }
        return true
    }

    private lazy var pendingAction: Machine.Action = machine.next(at: now)

    /// A new fleetd on the same spool and database (after a crash: nothing of the old one is kept).
    func restart(settings: PipelineSettings) {
        if let p = snapshotPosition { storedDetection.snapshot = (position: p, clockMs: snapshotClockMs) }
        machine = Machine(settings: settings, spoolCapacity: 1 << 20, now: now)
        pendingAction = machine.next(at: now)
        finished = nil
    }

    /// Steps until `done` holds or the state machine finishes; at most `limit` steps.
    func run(limit: Int = 100_000, until done: (IngestWorld) -> Bool = { _ in false }) {
        for _ in 0..<limit {
            if done(self) || !step() { return }
        }
    }

    /// Steps until every spooled message is committed (or `limit`).
    func runUntilCommitted(limit: Int = 100_000) {
        run(limit: limit) { $0.head > 0 && $0.commits.last?.batch.endPosition == $0.head }
    }

    func stop() { machine.stopRequested(at: now) }
}
