/// A partition's readings between reading back and feeding. Several instances ingest one vehicle's
/// burst (a unit's backlog, a replay) between them, round-robin, and commit their batches in any
/// order: read back in commit order, the vehicle's readings would reach its detectors out of the
/// order they were received in, which a single instance never does. They wait here and go on in
/// receipt order once the newest receipt time read back is `lagMs` past theirs: by then the batches
/// of every instance that received them earlier have committed.
///
/// What is released depends only on the rows read, in commit order: a new owner that reads them again
/// from a checkpoint releases the same rows at the same points.
struct ReceiptMerge {
    struct Waiting {
        var row: ReadingsFeed.Row
        /// The newest receipt time read before the row: where reading it again starts counting.
        var seenBeforeMs: Int64
    }

    let lagMs: Int64
    private var waiting: [Waiting] = []
    private var head = 0

    init(lagMs: Int64) {
        self.lagMs = lagMs
    }

    var count: Int { waiting.count - head }

    /// The waiting row read first (in commit order): a new owner reads again from just before it.
    var firstInCommitOrder: Waiting? {
        waiting[head...].min { $0.row.position < $1.row.position }
    }

    /// Adds a row, in receipt order (nearly always at the end).
    mutating func insert(_ row: ReadingsFeed.Row, seenBeforeMs: Int64) {
        let key = row.position.receipt
        var i = waiting.count
        while i > head && key < waiting[i - 1].row.position.receipt { i -= 1 }
        waiting.insert(Waiting(row: row, seenBeforeMs: seenBeforeMs), at: i)
    }

    /// Hands on, in receipt order, the rows received at least `lagMs` before `seenMs`.
    mutating func release(seenMs: Int64, _ body: (ReadingsFeed.Row) -> Void) {
        guard seenMs > .min + lagMs else { return }
        let horizon = seenMs - lagMs
        while head < waiting.count && waiting[head].row.receivedAtMs <= horizon {
            body(waiting[head].row)
            head += 1
        }
        // Drop what was handed on once it is most of the array: amortised O(1) per row.
        if head > 1024 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
    }
}
