import FleetCore

/// The detectors of the partitions this instance owns, when several share detection: one
/// `FleetDetection` per partition, each with its own place in the readings feed, its own receipt
/// merge and its own receiving clock, so a partition taken over with an older mark than the others
/// is read from there without disturbing them, and handed on, dropped or checkpointed on its own.
/// No I/O: pages in, events out.
///
/// Each partition's rows are read in commit order and fed in receipt order (`ReceiptMerge`). A row
/// read for the first time goes into the merge when it comes after the last row fed in receipt
/// order; one received earlier than that (its batch committed more than the merge lag late) is fed
/// at once, out of order, as a single instance feeds a reading that arrives late. A checkpoint
/// stores where reading got to, the last row fed, and where the rows still waiting in the merge can
/// be read again; a new owner reading from there rebuilds the merge and goes on exactly as the old
/// one would have.
struct OwnedPartitions {
    struct Owned {
        var detection: FleetDetection
        var merge: ReceiptMerge
        /// Rows up to here have been read.
        var scan: ReadingsFeed.Cursor
        /// Rows up to here are done with: fed, or passed over. Behind `scan` only after a takeover,
        /// while the rows that waited in the old owner's merge are read again.
        var rescan: ReadingsFeed.Cursor
        /// The last row fed in receipt order.
        var fed: ReadingsFeed.ReceiptKey?
        /// The newest receipt time of this partition's rows read (ms), counted from `rescan`: what
        /// releases its merge, a function of its own rows only, whichever partitions its owner reads with it.
        var seenMs: Int64
    }

    let windowMs: Int64
    /// How long (receipt time) a row waits for rows received before it to be read back.
    let mergeLagMs: Int64
    private(set) var owned: [Int: Owned] = [:]
    /// Readings read back after one received later had been fed: their batch committed more than the
    /// merge lag after the others (fed at once, out of receipt order).
    private(set) var outOfOrder = 0
    /// The operators' inputs last loaded: a partition taken over starts with them.
    private(set) var inputs: OperatorInputs?

    init(windowMs: Int64, mergeLagMs: Int64) {
        self.windowMs = windowMs
        self.mergeLagMs = mergeLagMs
    }

    var partitions: Set<Int> { Set(owned.keys) }
    var isEmpty: Bool { owned.isEmpty }

    /// Takes a partition over with its stored states (bytes as stored; an unusable one starts afresh)
    /// and its mark; returns how many states could not be used.
    mutating func own(_ partition: Int, states: [(vehicleID: String, bytes: [UInt8])], mark: PartitionCursors.Mark) -> Int {
        var restored: [String: VehicleState] = [:]
        var unusable = 0
        for (id, bytes) in states {
            if let s = VehicleState.stored(bytes, windowMs: windowMs) { restored[id] = s } else { unusable += 1 }
        }
        var detection = FleetDetection(windowMs: windowMs, restoring: restored, clockMs: mark.clockMs ?? .min)
        if let inputs { detection.apply(inputs) }
        owned[partition] = Owned(detection: detection, merge: ReceiptMerge(lagMs: mergeLagMs), scan: mark.scan,
                                 rescan: mark.rescan ?? mark.scan, fed: mark.fed, seenMs: mark.seenMs ?? .min)
        return unusable
    }

    /// Forgets a partition: it was handed back (after a checkpoint) or lost.
    mutating func drop(_ partition: Int) {
        owned[partition] = nil
    }

    mutating func apply(_ inputs: OperatorInputs) {
        self.inputs = inputs
        for p in owned.keys { owned[p]!.detection.apply(inputs) }
    }

    /// Where the next page starts: the earliest partition's position.
    var readFrom: ReadingsFeed.Cursor {
        owned.values.map(\.rescan).min() ?? .origin
    }

    /// Feeds a page: each of the partitions' rows it has not done with goes into its merge (or, received
    /// before the last row fed, to its detectors at once), and whatever the partition's receipt times
    /// read so far release goes on to the detectors. Returns how many readings came too late for the
    /// reorder window.
    mutating func feed(_ page: ReadingsFeed.Page, into events: inout [DetectionEvent]) -> Int {
        guard let end = page.scanned else { return 0 }
        var late = 0
        for row in page.rows {
            guard var o = owned[row.partition], o.rescan < row.position else { continue }
            owned[row.partition] = nil  // mutated in place, not copied
            let key = row.position.receipt
            if o.fed.map({ $0 < key }) ?? true {
                o.merge.insert(row, seenBeforeMs: o.seenMs)
            } else if o.scan < row.position {
                // Received before what was already fed, and read for the first time: out of order, now.
                outOfOrder += 1
                if o.detection.ingest(row.reading, arrivalMs: row.receivedAtMs, into: &events) == .late { late += 1 }
            }
            o.seenMs = max(o.seenMs, row.receivedAtMs)
            late += Self.release(&o, into: &events)
            owned[row.partition] = o
        }
        for p in owned.keys where owned[p]!.rescan < end {
            var o = owned.removeValue(forKey: p)!
            if o.seenMs > .min + mergeLagMs { o.detection.tick(nowMs: o.seenMs - mergeLagMs, into: &events) }
            o.scan = max(o.scan, end)
            o.rescan = end
            owned[p] = o
        }
        return late
    }

    private static func release(_ o: inout Owned, into events: inout [DetectionEvent]) -> Int {
        var late = 0
        o.merge.release(seenMs: o.seenMs) { row in
            if o.detection.ingest(row.reading, arrivalMs: row.receivedAtMs, into: &events) == .late { late += 1 }
            o.fed = row.position.receipt
        }
        return late
    }

    /// With the feed caught up, what waits in the merge goes on once the wall clock `nowMs` is a merge
    /// lag past it, and readings held in reorder windows are released, as a single instance does when
    /// its spool is idle. Returns how many readings came too late.
    mutating func tickIdle(nowMs: Int64, into events: inout [DetectionEvent]) -> Int {
        var late = 0
        for p in owned.keys {
            var o = owned.removeValue(forKey: p)!
            if o.merge.count > 0 && nowMs > o.seenMs {
                o.seenMs = nowMs
                late += Self.release(&o, into: &events)
            }
            if o.detection.isHolding && nowMs - mergeLagMs - o.detection.clockMs >= FleetDetection.sweepEveryMs {
                o.detection.tick(nowMs: nowMs - mergeLagMs, into: &events)
            }
            owned[p] = o
        }
        return late
    }

    /// Readings read back but not yet fed, waiting for the merge.
    var waiting: Int { owned.values.reduce(0) { $0 + $1.merge.count } }

    /// What a checkpoint stores: the states changed since the last one and every partition's mark.
    /// `checkpointFailed` puts the states back if the checkpoint does not commit.
    mutating func takeCheckpoint() -> (states: [(vehicleID: String, bytes: [UInt8])], marks: [Int: PartitionCursors.Mark]) {
        var states: [(vehicleID: String, bytes: [UInt8])] = []
        var marks: [Int: PartitionCursors.Mark] = [:]
        for p in owned.keys.sorted() {
            for (id, state) in owned[p]!.detection.takeChanged() { states.append((id, state.storedBytes)) }
            marks[p] = mark(owned[p]!)
        }
        return (states, marks)
    }

    private func mark(_ o: Owned) -> PartitionCursors.Mark {
        // The rows waiting in the merge are read again from just before the first of them in commit
        // order, counting receipt time from what was read before it.
        let first = o.merge.firstInCommitOrder
        return PartitionCursors.Mark(scan: o.scan, rescan: first.map { $0.row.position.justBefore } ?? o.rescan, fed: o.fed,
                                     seenMs: first?.seenBeforeMs ?? o.seenMs, clockMs: o.detection.clockMs == .min ? nil : o.detection.clockMs)
    }

    /// A checkpoint that did not commit: its vehicles go into the next one.
    mutating func checkpointFailed(_ states: [(vehicleID: String, bytes: [UInt8])]) {
        let ids = states.map(\.vehicleID)
        for p in owned.keys { owned[p]!.detection.markChanged(ids) }
    }

    var vehiclesHolding: Int { owned.values.reduce(0) { $0 + $1.detection.vehiclesHolding } }
    var vehicleCount: Int { owned.values.reduce(0) { $0 + $1.detection.vehicleCount } }
}
