import FleetCore

extension IngestStateMachine {
    /// Where reading resumes after a start: the committed checkpoint of this spool file when it lies
    /// within the spool's unreleased range, else the spool's own released position, with what the
    /// operator should hear about it.
    static func startPosition(checkpoint: UInt64?, released: UInt64, head: UInt64) -> (start: UInt64, reports: [Report]) {
        var reports: [Report] = []
        let start: UInt64
        switch checkpoint {
        case let cp? where cp >= released && cp <= head:
            start = cp
        case let cp? where cp > head:
            reports.append(.checkpointBeyondHead(checkpoint: cp, head: head))
            start = head
        case let cp?:
            reports.append(.checkpointBeforeReleased(checkpoint: cp, released: released))
            start = released
        case nil:
            start = released
        }
        if head > start { reports.append(.backlog(bytes: head - start)) }
        return (start, reports)
    }

    /// The committed spool between the detectors' snapshot and the checkpoint, fed to them again
    /// (their events were stored the first time and are dropped), with the idle ticks recorded in it
    /// at the same positions: detection depends on nothing but that stream.
    struct Replay {
        private(set) var position: UInt64
        let end: UInt64
        private let ticks: [DetectorTick]
        private var nextTick = 0
        private(set) var messages = 0
        let began: ContinuousClock.Instant
        private var decoded = DecodedMessage()

        init(from position: UInt64, to end: UInt64, ticks: [DetectorTick], began: ContinuousClock.Instant) {
            self.position = position
            self.end = end
            self.ticks = ticks
            self.began = began
        }

        var isDone: Bool { position >= end }

        /// One committed entry, after the ticks recorded at or before it: the message's readings
        /// decoded (nil for a cut message or an unreadable range), for the caller to feed.
        mutating func take(_ entry: SpoolEntry, ticksTo runner: inout DetectionRunner, decoder: PayloadDecoder) -> (decoded: DecodedMessage, receivedAtNanos: Int64)? {
            feedTicks(upTo: position, to: &runner)
            switch entry {
            case .message(let record):
                messages += 1
                position = record.next
                guard !record.isCut else { return nil }
                decoded.removeAll()
                decoder.decode(topic: record.topic, payload: record.payload, into: &decoded)
                return (decoded, record.receivedAtNanos)
            case .unreadable(let range):
                position = max(position, range.upperBound)
                return nil
            }
        }

        /// The spool ends here (or at `end`): the ticks left up to `end`.
        mutating func finish(to runner: inout DetectionRunner) {
            feedTicks(upTo: end, to: &runner)
            position = end
        }

        private mutating func feedTicks(upTo p: UInt64, to runner: inout DetectionRunner) {
            while nextTick < ticks.endIndex && ticks[nextTick].position <= p {
                runner.replay(ticks[nextTick])
                nextTick += 1
            }
        }
    }
}
