/// The events handed to a broker and not yet acknowledged, in feed order, and the cursor: the seq up
/// to which every event was acknowledged (or skipped as unpublishable). The cursor is what the
/// publisher stores and where it starts again after a lost connection or a crash, so an event is
/// published at least once and the cursor never passes one the broker did not take.
public struct PublishWindow: Sendable, Equatable {
    /// Every event up to this seq was acknowledged or skipped.
    public private(set) var cursor: Int64
    /// The last seq handed out (published or skipped): the feed is read after it.
    public private(set) var readUpTo: Int64
    /// Most events in flight at once.
    public let capacity: Int

    private struct Pending: Sendable, Equatable {
        var seq: Int64
        var message: Int32?
        var done: Bool
    }
    /// In seq order; `head` is the first still counted (older entries wait to be compacted away).
    private var pending: [Pending] = []
    private var head = 0
    /// In-flight message id → index in `pending`.
    private var byMessage: [Int32: Int] = [:]

    public init(cursor: Int64, capacity: Int) {
        self.cursor = cursor
        readUpTo = cursor
        self.capacity = max(1, capacity)
    }

    /// Events published and not yet acknowledged.
    public var inFlight: Int { byMessage.count }
    /// How many more may be published now.
    public var room: Int { max(0, capacity - inFlight) }

    /// `seq` went to the broker as message `message`. Seqs come in feed order.
    public mutating func published(seq: Int64, message: Int32) {
        precondition(seq > readUpTo, "events are published in feed order")
        readUpTo = seq
        byMessage[message] = pending.count
        pending.append(Pending(seq: seq, message: message, done: false))
    }

    /// `seq` can never be published (too large, a topic no broker takes): passed over as if delivered.
    public mutating func skipped(seq: Int64) {
        precondition(seq > readUpTo, "events are published in feed order")
        readUpTo = seq
        pending.append(Pending(seq: seq, message: nil, done: true))
        advance()
    }

    /// The broker acknowledged `message`; false for an id not in flight (a late ack from before a rewind).
    @discardableResult
    public mutating func acknowledged(message: Int32) -> Bool {
        guard let i = byMessage.removeValue(forKey: message) else { return false }
        pending[i].done = true
        advance()
        return true
    }

    /// The connection is gone: what was in flight is published again, from the cursor on.
    public mutating func rewind() {
        pending.removeAll(keepingCapacity: true)
        byMessage.removeAll(keepingCapacity: true)
        head = 0
        readUpTo = cursor
    }

    private mutating func advance() {
        while head < pending.count && pending[head].done {
            cursor = pending[head].seq
            head += 1
        }
        // Compact once the settled front outweighs what is left, keeping appends amortised O(1).
        if head > 64 && head * 2 > pending.count {
            pending.removeFirst(head)
            byMessage = byMessage.mapValues { $0 - head }
            head = 0
        }
    }
}
