import FleetCore

/// The pipeline's side of detection: feeds `FleetDetection` from decoded batches, advances its
/// clock when the stream idles, takes snapshots, and restores them at start.
///
/// Exactly once without writing every vehicle's state with every batch: states are snapshotted
/// now and then with the spool position they cover, and the spool is released only up to that
/// snapshot. After a crash the pipeline restores the snapshot and replays the spool from its
/// position to the committed checkpoint, feeding the detectors only (those events are already
/// stored); detection depends on nothing but that stream, so it arrives at the state it had.
struct DetectionRunner {
    private(set) var detection: FleetDetection
    let snapshotInterval: Duration
    /// Position of the last committed snapshot: the spool is kept from here for replay.
    private(set) var snapshotPosition: UInt64?
    private var lastSnapshotAt: ContinuousClock.Instant
    /// The operators' inputs last applied: a restore keeps them, so replay and the first reload
    /// interval after a start run with the vehicles' tanks, thresholds and maintenance plans.
    private(set) var inputs: OperatorInputs?
    /// Readings since the last status write, folded per vehicle and vehicle-day. Written with every
    /// snapshot (so what a crash loses of it lies after the snapshot and the replay rebuilds it) and
    /// every `statusEvery` between: one row per vehicle every few seconds, not one per batch.
    private(set) var pendingStatus = FleetStatus()
    private var statusWrittenAt: ContinuousClock.Instant
    static let statusEvery = Duration.seconds(5)

    init(windowMs: Int64, snapshotInterval: Duration, now: ContinuousClock.Instant) {
        detection = FleetDetection(windowMs: windowMs)
        self.snapshotInterval = snapshotInterval
        lastSnapshotAt = now
        statusWrittenAt = now
    }

    /// Restores stored states and returns how many could not be used: those (written by an
    /// incompatible version or with another reorder window) start afresh.
    mutating func restore(_ stored: StoredDetection, now: ContinuousClock.Instant) -> Int {
        var states: [String: VehicleState] = [:]
        var unreadable = 0
        for (id, bytes) in stored.states {
            if let s = decode(bytes) { states[id] = s } else { unreadable += 1 }
        }
        detection = FleetDetection(windowMs: detection.windowMs, restoring: states, clockMs: stored.snapshot?.clockMs ?? .min)
        if let inputs { apply(inputs) }
        snapshotPosition = stored.snapshot?.position
        lastSnapshotAt = now
        return unreadable
    }

    private func decode(_ bytes: [UInt8]) -> VehicleState? { .stored(bytes, windowMs: detection.windowMs) }

    /// States loaded for vehicles not in memory; returns how many could not be used (they start afresh).
    mutating func adopt(_ stored: [(vehicleID: String, bytes: [UInt8])]) -> Int {
        var unusable = 0
        for (id, bytes) in stored {
            if let s = decode(bytes) { detection.adopt(id, s) } else { unusable += 1 }
        }
        return unusable
    }

    /// Drops from memory the vehicles idle for `age` of receiving time whose state the last committed
    /// snapshot holds; returns their ids.
    mutating func evictIdle(idleFor age: Duration) -> [String] {
        guard detection.clockMs > .min else { return [] }
        return detection.evictIdle(before: detection.clockMs - age.wholeMilliseconds)
    }

    mutating func apply(_ inputs: OperatorInputs) {
        self.inputs = inputs
        detection.apply(inputs)
    }

    /// Feeds readings `from..<end` of the batch (just decoded) to the detectors, in arrival order.
    mutating func feed(_ batch: inout IngestBatch, from: Int) {
        let readings = batch.decoded.readings
        for i in from..<readings.count {
            let outcome = detection.ingest(readings[i], arrivalMs: batch.receivedAtNanos[i] / 1_000_000, into: &batch.events)
            if outcome == .late { batch.late += 1 }
            pendingStatus.add(readings[i], receivedAtNanos: batch.receivedAtNanos[i])
        }
    }

    /// Replay only: feeds decoded readings and drops the events (they were committed the first time).
    mutating func replay(_ decoded: DecodedMessage, receivedAtNanos: Int64) {
        var discarded: [DetectionEvent] = []
        for r in decoded.readings {
            _ = detection.ingest(r, arrivalMs: receivedAtNanos / 1_000_000, into: &discarded)
            pendingStatus.add(r, receivedAtNanos: receivedAtNanos)
        }
    }

    /// Replay only: a recorded tick.
    mutating func replay(_ tick: DetectorTick) {
        var discarded: [DetectionEvent] = []
        detection.tick(nowMs: tick.clockMs, into: &discarded)
    }

    /// With the stream idle, readings still held in the reorder window are released by the wall
    /// clock; the tick is recorded with the batch so a replay makes it at the same position.
    mutating func tickIfIdle(_ batch: inout IngestBatch, position: UInt64, nowMs: Int64, opened: ContinuousClock.Instant) {
        guard detection.isHolding, nowMs - detection.clockMs >= FleetDetection.sweepEveryMs else { return }
        detection.tick(nowMs: nowMs, into: &batch.events)
        batch.ticks.append(DetectorTick(position: position, clockMs: nowMs))
        batch.endPosition = position
        if batch.openedAt == nil { batch.openedAt = opened }
    }

    /// Whether a snapshot should go with the next commit: every `snapshotInterval`, or once a quarter of the
    /// spool lies between the last snapshot and here (the spool is kept from the snapshot for replay). An
    /// eighth made a snapshot every ~4 s at 15 k readings/s, each writing the held readings of the reorder
    /// window: p99 receipt-to-commit 309–420 ms against 244 ms at a quarter (sensors-sim/bench/bench.py).
    func snapshotDue(position: UInt64, spoolCapacity: UInt64, now: ContinuousClock.Instant) -> Bool {
        guard let last = snapshotPosition, last <= position else { return true }
        return now - lastSnapshotAt >= snapshotInterval || position - last >= spoolCapacity / 4
    }

    /// The stored snapshot lies outside the spool (a restored database, another spool file): no
    /// replay can start there, so the spool is not kept for it and the next commit takes a fresh one.
    mutating func forgetSnapshotPosition() {
        snapshotPosition = nil
    }

    /// With the stream idle, a snapshot of what was read since the last one (at most one a second).
    func idleSnapshotDue(position: UInt64, now: ContinuousClock.Instant) -> Bool {
        snapshotPosition != position && now - lastSnapshotAt >= .seconds(1)
    }

    /// Attaches the changed vehicles' states as of `position` (everything read so far) to the batch.
    mutating func attachSnapshot(to batch: inout IngestBatch, position: UInt64) {
        guard batch.snapshot == nil else { return }
        var states: [(vehicleID: String, bytes: [UInt8])] = []
        for (id, state) in detection.takeChanged() { states.append((id, state.storedBytes)) }
        batch.snapshot = DetectorSnapshot(position: position, clockMs: detection.clockMs, states: states)
        batch.endPosition = position
        attachStatus(to: &batch)
    }

    /// The status gathered since the last write goes with this batch when it is `statusEvery` old.
    mutating func attachStatusIfDue(to batch: inout IngestBatch, now: ContinuousClock.Instant) {
        if now - statusWrittenAt >= Self.statusEvery { attachStatus(to: &batch) }
    }

    private mutating func attachStatus(to batch: inout IngestBatch) {
        guard !pendingStatus.isEmpty else { return }
        if batch.status == nil { batch.status = pendingStatus } else { batch.status!.merge(pendingStatus) }
        pendingStatus.removeAll()
    }

    /// The snapshot attached to a batch was not stored with it: its vehicles are written with the next one.
    mutating func snapshotDropped(_ snapshot: DetectorSnapshot) {
        detection.markChanged(snapshot.states.map(\.vehicleID))
    }

    /// After a commit: the snapshot it carried, if any, is now where a replay would start.
    mutating func committed(_ batch: IngestBatch, now: ContinuousClock.Instant) {
        if batch.status != nil { statusWrittenAt = now }
        guard let s = batch.snapshot else { return }
        snapshotPosition = s.position
        lastSnapshotAt = now
    }
}
