import FleetCore
import SeededRandom
import Testing

/// The publish cursor: never past an event the broker did not acknowledge, always up to every one
/// it did (in order), whatever order acknowledgements come in and however often the connection drops.
@Suite struct PublishWindowTests {
    @Test func theCursorStopsAtTheFirstUnacknowledgedEvent() {
        var w = PublishWindow(cursor: 10, capacity: 3)
        w.published(seq: 12, message: 1)
        w.published(seq: 15, message: 2)
        w.published(seq: 16, message: 3)
        #expect(w.room == 0 && w.readUpTo == 16)
        let acked1 = w.acknowledged(message: 2)
        #expect(acked1)
        #expect(w.cursor == 10, "seq 12 is not acknowledged yet")
        let acked2 = w.acknowledged(message: 1)
        #expect(acked2)
        #expect(w.cursor == 15 && w.room == 2)
        let acked3 = w.acknowledged(message: 1)
        #expect(!acked3, "an id no longer in flight")
        w.skipped(seq: 20)
        #expect(w.cursor == 15, "a skipped event waits behind one in flight")
        let acked4 = w.acknowledged(message: 3)
        #expect(acked4)
        #expect(w.cursor == 20 && w.inFlight == 0)
    }

    @Test func aRewindPublishesAgainFromTheCursor() {
        var w = PublishWindow(cursor: 0, capacity: 10)
        w.published(seq: 1, message: 7)
        w.published(seq: 2, message: 8)
        w.acknowledged(message: 7)
        w.rewind()
        #expect(w.cursor == 1 && w.readUpTo == 1 && w.inFlight == 0)
        let acked5 = w.acknowledged(message: 8)
        #expect(!acked5, "an ack from the lost connection counts for nothing")
        w.published(seq: 2, message: 1)
        w.acknowledged(message: 1)
        #expect(w.cursor == 2)
    }

    /// Random feeds with gaps, acknowledgements in random order, skips, lost connections and message
    /// ids reused as libmosquitto does: the cursor is exactly the largest seq with every published or
    /// skipped seq up to it settled, and every seq of the feed is settled at least once in the end.
    @Test func propertyTheCursorIsTheLongestSettledPrefix() {
        var rng = SimRandom(seed: 2026)
        for _ in 0..<300 {
            let feed = (1...Int(rng.next() % 300 + 1)).reduce(into: [Int64]()) { seqs, _ in seqs.append((seqs.last ?? 0) + Int64(rng.next() % 4 + 1)) }
            let capacity = Int(rng.next() % 20 + 1)
            var w = PublishWindow(cursor: 0, capacity: capacity)
            var settled = Set<Int64>()        // in this connection
            var everSettled = Set<Int64>()
            var inFlight: [(message: Int32, seq: Int64)] = []
            var nextMessage: Int32 = 1
            var steps = 0
            while w.cursor < feed.last!, steps < 100_000 {
                steps += 1
                let r = rng.next() % 100
                if r < 45, w.room > 0, let seq = feed.first(where: { $0 > w.readUpTo }) {
                    if rng.next() % 20 == 0 {
                        w.skipped(seq: seq)
                        settled.insert(seq)
                        everSettled.insert(seq)
                    } else {
                        w.published(seq: seq, message: nextMessage)
                        inFlight.append((nextMessage, seq))
                        nextMessage = nextMessage == 65_535 ? 1 : nextMessage + 1
                    }
                } else if r < 97, !inFlight.isEmpty {
                    let i = Int(rng.next() % UInt64(inFlight.count))
                    let (message, seq) = inFlight.remove(at: i)
                    let acked6 = w.acknowledged(message: message)
                    #expect(acked6)
                    settled.insert(seq)
                    everSettled.insert(seq)
                } else {
                    w.rewind()
                    inFlight.removeAll()
                    settled = Set(settled.filter { $0 <= w.cursor })
                    #expect(w.readUpTo == w.cursor)
                }
                // Every seq up to the cursor is settled; the next seq of the feed (if read) is not.
                #expect(feed.filter { $0 <= w.cursor }.allSatisfy { everSettled.contains($0) })
                if let next = feed.first(where: { $0 > w.cursor }), next <= w.readUpTo {
                    #expect(!settled.contains(next), "the cursor stopped short of a settled seq")
                }
                #expect(w.inFlight == inFlight.count && w.inFlight <= capacity)
            }
            #expect(w.cursor == feed.last!, "the whole feed goes out")
            #expect(Set(feed) == everSettled)
        }
    }
}
