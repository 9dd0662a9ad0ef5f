import FleetCore

/// Everything one PostgreSQL transaction writes: the readings and refusals decoded from a run
/// of spool records, and the spool position after the last of them.
struct IngestBatch {
    /// One row per refused message, however many of its readings were refused: a flood of
    /// `[{},{},…]` costs one row, not one per object.
    struct RejectedRow {
        var receivedAtNanos: Int64
        var topic: String
        /// The first refusal's reason and detail.
        var reason: RejectReason
        var detail: String
        /// The refused reading's bytes when it was the message's only refusal, else the message's;
        /// cut to 4 KiB.
        var payload: [UInt8]
        /// Where it came from: the message's spool position (recorded for operators).
        var position: UInt64
        /// Readings (or the whole message) refused, and their distinct reasons, first few.
        var readingsRefused: Int
        var reasons: [RejectReason]
    }

    static let reasonsKept = 5

    /// One spooled message of the batch: where its rows lie in `decoded.readings` and `rejected`
    /// (up to these ends), so a refused batch can be written message by message.
    struct MessageSpan {
        var position: UInt64
        var receivedAtNanos: Int64
        var topic: String
        var readingsEnd: Int
        var rejectedEnd: Int
    }

    static let rejectedPayloadLimit = 4096

    var decoded = DecodedMessage()
    /// Receipt time of each reading, parallel to `decoded.readings`.
    var receivedAtNanos: [Int64] = []
    var rejected: [RejectedRow] = []
    var spans: [MessageSpan] = []
    var messages = 0
    /// Events the detectors derived from this batch's readings (and ticks).
    var events: [DetectionEvent] = []
    /// Idle advances of the receiving clock made while this batch was open.
    var ticks: [DetectorTick] = []
    /// Detector state to store with this batch, if a snapshot is due.
    var snapshot: DetectorSnapshot?
    /// Vehicle status and day totals written with this batch (`IngestStateMachine.attachStatus`).
    var status: FleetStatus?
    /// Readings too late for the reorder window (stored, not detected on).
    var late = 0
    /// Every refusal by reason, stored row or not: the metrics stay exact.
    var refusals: [RejectReason: Int] = [:]
    /// Refused messages whose row the per-vehicle budget did not store.
    var overBudget = 0
    /// Spool position just past the last record in this batch.
    var endPosition: UInt64 = 0
    /// Monotonic time the first record entered the batch.
    var openedAt: ContinuousClock.Instant?

    var isEmpty: Bool { messages == 0 && events.isEmpty && ticks.isEmpty && snapshot == nil }
    var rowCount: Int { decoded.readings.count + rejected.count }

    mutating func removeAll() {
        decoded.removeAll()
        receivedAtNanos.removeAll(keepingCapacity: true)
        rejected.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        messages = 0
        events.removeAll(keepingCapacity: true)
        ticks.removeAll()
        snapshot = nil
        status = nil
        late = 0
        refusals.removeAll(keepingCapacity: true)
        overBudget = 0
        openedAt = nil
    }

    /// Decodes one spooled message into the batch; its refusals become one row if `budget` allows.
    mutating func add(_ record: SpoolRecord, decoder: PayloadDecoder, now: ContinuousClock.Instant, budget: inout RejectionBudget) {
        if openedAt == nil { openedAt = now }
        messages += 1
        endPosition = record.next
        let readingsBefore = decoded.readings.count
        let rejectionsBefore = decoded.rejections.count
        if record.isCut {
            decoded.rejections.append(Rejection(reason: .tooLarge, detail: "message is \(record.originalLength) bytes, the limit is \(decoder.limits.maxBytes)"))
        } else {
            decoder.decode(topic: record.topic, payload: record.payload, into: &decoded)
        }
        for _ in readingsBefore..<decoded.readings.count { receivedAtNanos.append(record.receivedAtNanos) }
        let refused = decoded.rejections[rejectionsBefore...]
        if let first = refused.first {
            for r in refused { refusals[r.reason, default: 0] += 1 }
            if budget.allows(topic: record.topic, receivedAtMs: record.receivedAtNanos / 1_000_000) {
                var reasons: [RejectReason] = []
                for r in refused where !reasons.contains(r.reason) && reasons.count < Self.reasonsKept { reasons.append(r.reason) }
                let bytes: UnsafeRawBufferPointer
                if refused.count == 1, let range = first.range {
                    bytes = UnsafeRawBufferPointer(rebasing: record.payload[range])
                } else {
                    bytes = record.payload
                }
                rejected.append(RejectedRow(
                    receivedAtNanos: record.receivedAtNanos, topic: record.topic, reason: first.reason, detail: first.detail,
                    payload: Array(bytes.prefix(Self.rejectedPayloadLimit)), position: record.position,
                    readingsRefused: refused.count, reasons: reasons))
            } else {
                overBudget += 1
            }
            decoded.rejections.removeSubrange(rejectionsBefore...)
        }
        spans.append(MessageSpan(position: record.position, receivedAtNanos: record.receivedAtNanos, topic: record.topic,
                                 readingsEnd: decoded.readings.count, rejectedEnd: rejected.count))
    }

    /// The readings and refusals of messages `messages` (indices into `spans`).
    func rows(of messages: Range<Int>) -> (readings: Range<Int>, rejected: Range<Int>) {
        guard !messages.isEmpty else { return (0..<0, 0..<0) }
        let first = messages.lowerBound == 0 ? nil : spans[messages.lowerBound - 1]
        let last = spans[messages.upperBound - 1]
        return ((first?.readingsEnd ?? 0)..<last.readingsEnd, (first?.rejectedEnd ?? 0)..<last.rejectedEnd)
    }
}
