/// What the pipeline does with a batch PostgreSQL refused for a reason a retry will not cure (a
/// constraint, a trigger, a value it will not take): write it in pieces, halving every refused
/// piece until each refused message (or event row) stands alone, keep that one in `dead_letters`,
/// and commit everything else. The fleet waits on one bad message for one bisection, never longer.
///
/// Pure: the pipeline performs each step and reports how it went. Pieces are idempotent (readings,
/// refusals, dead letters and events are unique on their natural keys), and only the last step
/// moves the checkpoint, so a crash anywhere in between replays the batch without doubling a row.
struct RefusalIsolation: Equatable {
    enum Step: Equatable {
        /// Write the rows of these messages (readings, refusals, new vehicles): one transaction.
        case messages(Range<Int>)
        /// This message alone was refused: keep it in `dead_letters`.
        case deadLetterMessage(Int)
        /// Write these event rows: one transaction.
        case events(Range<Int>)
        /// This event row alone was refused: keep it in `dead_letters`.
        case deadLetterEvent(Int)
        /// Ticks, detector snapshot and checkpoint: the batch is done when this commits.
        case close(withSnapshot: Bool)
    }

    /// Why PostgreSQL refused a piece: what a dead letter records.
    struct Refusal: Equatable {
        var sqlState: String?
        var message: String
    }

    /// What is left, next first.
    private(set) var steps: [Step]
    /// Messages and event rows kept in `dead_letters` so far.
    private(set) var deadLetters = 0
    /// The last refusal: the reason a dead letter that follows it records.
    private(set) var lastRefusal: Refusal?

    /// The whole batch of `messages` messages and `events` event rows was refused.
    init(messages: Int, events: Int, hasSnapshot: Bool) {
        // Which part was refused is not known yet: the messages' rows, then the events, each whole,
        // then the close; a refused piece is halved from there.
        steps = []
        if messages > 0 { steps.append(.messages(0..<messages)) }
        if events > 0 { steps.append(.events(0..<events)) }
        steps.append(.close(withSnapshot: hasSnapshot))
    }

    var next: Step? { steps.first }
    var isDone: Bool { steps.isEmpty }

    /// The next step committed.
    mutating func succeeded() {
        guard let step = steps.first else { return }
        steps.removeFirst()
        switch step {
        case .deadLetterMessage, .deadLetterEvent: deadLetters += 1
        default: break
        }
    }

    /// The next step was refused for a reason a retry will not cure.
    mutating func refused(_ refusal: Refusal) {
        guard let step = steps.first else { return }
        steps.removeFirst()
        switch step {
        case .messages(let r):
            lastRefusal = refusal
            steps.insert(contentsOf: r.count == 1 ? [.deadLetterMessage(r.lowerBound)] : Self.halves(r).map(Step.messages), at: 0)
        case .events(let r):
            lastRefusal = refusal
            steps.insert(contentsOf: r.count == 1 ? [.deadLetterEvent(r.lowerBound)] : Self.halves(r).map(Step.events), at: 0)
        case .deadLetterMessage, .deadLetterEvent:
            // Even the dead-letter row was refused: the caller logs and counts it; nothing more to try.
            break
        case .close(withSnapshot: true):
            // A snapshot the database will not take: close without it; the next one is taken later.
            steps.insert(.close(withSnapshot: false), at: 0)
        case .close(withSnapshot: false):
            // The checkpoint itself is refused: nothing can commit. Try again (the caller backs off).
            steps.insert(.close(withSnapshot: false), at: 0)
        }
    }

    private static func halves(_ r: Range<Int>) -> [Range<Int>] {
        let mid = r.lowerBound + r.count / 2
        return [r.lowerBound..<mid, mid..<r.upperBound]
    }
}
