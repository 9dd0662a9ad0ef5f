import FleetSim
import LibPQ
import SeededRandom
import Testing
@testable import FleetIngest

/// The isolation of a refused batch, without a database: PostgreSQL is played by a rule that refuses
/// any piece holding a poisoned message or event row.
@Suite struct RefusalIsolationTests {
    struct Outcome {
        var writtenMessages: [Int] = []
        var writtenEvents: [Int] = []
        var deadMessages: [Int] = []
        var deadEvents: [Int] = []
        var closedWithSnapshot: Bool?
        var transactions = 0
    }

    static func run(messages: Int, events: Int, badMessages: Set<Int>, badEvents: Set<Int>, snapshotRefused: Bool = false,
                    deadLettersRefused: Bool = false) -> Outcome {
        var iso = RefusalIsolation(messages: messages, events: events, hasSnapshot: true)
        var out = Outcome()
        let refusal = RefusalIsolation.Refusal(sqlState: "23514", message: "check constraint")
        while let step = iso.next {
            out.transactions += 1
            #expect(out.transactions < 10_000, "isolation must end")
            if out.transactions >= 10_000 { break }
            switch step {
            case .messages(let r):
                if r.contains(where: badMessages.contains) { iso.refused(refusal) } else { out.writtenMessages += r; iso.succeeded() }
            case .events(let r):
                if r.contains(where: badEvents.contains) { iso.refused(refusal) } else { out.writtenEvents += r; iso.succeeded() }
            case .deadLetterMessage(let i):
                #expect(iso.lastRefusal == refusal)
                if deadLettersRefused { iso.refused(refusal) } else { out.deadMessages.append(i); iso.succeeded() }
            case .deadLetterEvent(let i):
                if deadLettersRefused { iso.refused(refusal) } else { out.deadEvents.append(i); iso.succeeded() }
            case .close(let withSnapshot):
                if withSnapshot && snapshotRefused { iso.refused(refusal) } else { out.closedWithSnapshot = withSnapshot; iso.succeeded() }
            }
        }
        #expect(iso.isDone)
        return out
    }

    @Test func oneBadMessageAmongManyIsTheOnlyDeadLetter() {
        let o = Self.run(messages: 5_000, events: 40, badMessages: [3_217], badEvents: [])
        #expect(o.deadMessages == [3_217])
        #expect(o.writtenMessages.sorted() == Array(0..<5_000).filter { $0 != 3_217 })
        #expect(o.writtenEvents.sorted() == Array(0..<40))
        #expect(o.closedWithSnapshot == true)
        // One bisection: the whole once more, then two halves per level down to the one message.
        #expect(o.transactions <= 2 * 13 + 4, "\(o.transactions) transactions")
    }

    @Test func aRefusedEventIsKeptAsideAndTheReadingsCommit() {
        let o = Self.run(messages: 300, events: 9, badMessages: [], badEvents: [4])
        #expect(o.writtenMessages.sorted() == Array(0..<300))
        #expect(o.deadEvents == [4] && o.deadMessages.isEmpty)
        #expect(o.writtenEvents.sorted() == [0, 1, 2, 3, 5, 6, 7, 8])
        #expect(o.closedWithSnapshot == true)
    }

    @Test func aSingleMessageBatchGoesStraightToDeadLetters() {
        let o = Self.run(messages: 1, events: 0, badMessages: [0], badEvents: [])
        #expect(o.deadMessages == [0] && o.writtenMessages.isEmpty && o.transactions == 3)
    }

    @Test func aRefusedSnapshotClosesWithoutIt() {
        let o = Self.run(messages: 10, events: 2, badMessages: [], badEvents: [], snapshotRefused: true)
        #expect(o.writtenMessages.count == 10 && o.closedWithSnapshot == false)
    }

    @Test func deadLettersRefusedTooAreSkippedNotRetriedForever() {
        let o = Self.run(messages: 8, events: 0, badMessages: [2, 5], badEvents: [], deadLettersRefused: true)
        #expect(o.deadMessages.isEmpty && o.writtenMessages.sorted() == [0, 1, 3, 4, 6, 7] && o.closedWithSnapshot == true)
    }

    /// Whatever is poisoned, exactly the poisoned messages and rows are kept aside, every other one is
    /// written once, the close comes last, and the cost grows with the log of the batch per bad row.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func exactlyThePoisonedRowsAreIsolated(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        for _ in 0..<50 {
            let n = rng.int(1, 3_000), e = rng.int(0, 60)
            let bad = Set((0..<rng.int(0, 4)).map { _ in rng.int(0, n - 1) })
            let badEvents = e == 0 ? [] : Set((0..<rng.int(0, 2)).map { _ in rng.int(0, e - 1) })
            let o = Self.run(messages: n, events: e, badMessages: bad, badEvents: badEvents)
            #expect(Set(o.deadMessages) == bad && o.deadMessages.count == bad.count)
            #expect(o.writtenMessages.sorted() == Array(0..<n).filter { !bad.contains($0) })
            #expect(Set(o.deadEvents) == badEvents && o.writtenEvents.sorted() == Array(0..<e).filter { !badEvents.contains($0) })
            #expect(o.closedWithSnapshot == true)
            var log2n = 0
            while (1 << log2n) < max(n, e) { log2n += 1 }
            #expect(o.transactions <= 3 + (bad.count + badEvents.count) * (2 * log2n + 2), "n \(n), bad \(bad.count): \(o.transactions)")
        }
    }

    @Test func sqlStatesThatARetryCuresAreRetried() {
        func d(_ state: String?, lost: Bool = false) -> PGError.Disposition {
            PGError(message: "x", sqlState: state, connectionLost: lost).disposition
        }
        for state in ["08006", "53100", "57014", "57P01", "58030", "40001", "40P01", "55P03", "XX000", "42501", "42P01", "42703", "28P01", "3D000"] {
            #expect(d(state) == .retry, "\(state)")
        }
        #expect(d(nil) == .retry)
        #expect(d("23514", lost: true) == .retry)
        for state in ["23514", "23502", "22P02", "22003", "22021", "P0001", "54000", "42804", "2F002"] {
            #expect(d(state) == .isolate, "\(state)")
        }
    }
}
