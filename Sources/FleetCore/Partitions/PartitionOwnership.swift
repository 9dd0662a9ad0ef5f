/// Which detection partitions this instance owns, when several share the work: each partition is a
/// session advisory lock in PostgreSQL, held on one dedicated connection. A dead instance's locks vanish
/// with its connection and the others take its partitions; a new instance makes the others hand back
/// their excess. No coordinator: each instance aims at its share, ⌈partitions ÷ live instances⌉, counted
/// from the membership locks every instance holds.
///
/// Events in, actions out, no I/O (the caller runs the queries and reports back); one lock attempt
/// at a time, so the caller never has two outstanding.
public struct PartitionOwnership: Sendable {
    public enum Event: Sendable, Equatable {
        /// The lock connection is up and this instance's membership lock is held.
        case connected
        /// How many instances hold a membership lock, this one included.
        case members(Int, at: Int64)
        /// The partition's lock was taken, or someone else holds it.
        case granted(Int)
        case refused(Int)
        /// A partition handed back: its state and cursor committed, its lock released.
        case handedBack(Int)
        /// The lock connection is gone, and every lock with it.
        case connectionLost
        /// Time passes (milliseconds of any monotonic clock).
        case tick(at: Int64)
    }

    public enum Action: Sendable, Equatable {
        /// Count the instances holding a membership lock; report `members`.
        case countMembers
        /// Try the partition's lock without waiting; report `granted` or `refused`.
        case tryLock(Int)
        /// Start detecting the partition: load its state, read its readings from its cursor.
        case own(Int)
        /// Stop detecting the partition, commit its state and cursor, release its lock; report `handedBack`.
        case handBack(Int)
        /// These partitions are no longer ours (their locks went with the connection): stop at once and
        /// write nothing more for them; their new owner resumes from the last committed cursor.
        case lose([Int])
    }

    public let scheme: PartitionScheme
    /// Where this instance starts looking (from a hash of its id), so instances starting together do
    /// not all reach for the same partitions first.
    public let offset: Int
    /// How long an instance keeps more than its share before handing the excess back: a newcomer whose
    /// connection flickers does not make the others shed and retake partitions.
    public let settleMs: Int64
    /// How often members are counted and free partitions looked for.
    public let countEveryMs: Int64

    public private(set) var connected = false
    public private(set) var owned: Set<Int> = []
    public private(set) var handingBack: Set<Int> = []
    public private(set) var members = 1
    /// Partitions still to try in this pass, in order, and the one being tried.
    private var pass: [Int] = []
    private var trying: Int?
    private var overSince: Int64?
    private var countedAt: Int64?

    public init(scheme: PartitionScheme, instance: String, settleMs: Int64 = 10_000, countEveryMs: Int64 = 2_000) {
        self.scheme = scheme
        offset = Int(PartitionScheme.fnv1a(instance.utf8) % UInt64(scheme.count))
        self.settleMs = settleMs
        self.countEveryMs = countEveryMs
    }

    /// This instance's share of the partitions.
    public var share: Int { (scheme.count + members - 1) / max(members, 1) }

    /// Partitions in this instance's order of preference.
    var preference: [Int] { (0..<scheme.count).map { (offset + $0) % scheme.count } }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .connected:
            connected = true
            countedAt = nil
            return [.countMembers]
        case .members(let n, let now):
            guard connected else { return [] }
            members = max(n, 1)
            countedAt = now
            return rebalance(at: now)
        case .granted(let p):
            guard connected, trying == p else { return [] }
            trying = nil
            owned.insert(p)
            return [.own(p)] + nextAttempt()
        case .refused(let p):
            guard connected, trying == p else { return [] }
            trying = nil
            return nextAttempt()
        case .handedBack(let p):
            handingBack.remove(p)
            return []
        case .connectionLost:
            connected = false
            let lost = owned.union(handingBack).sorted()
            owned = []
            handingBack = []
            pass = []
            trying = nil
            overSince = nil
            return lost.isEmpty ? [] : [.lose(lost)]
        case .tick(let now):
            guard connected, trying == nil, pass.isEmpty else { return [] }
            if let at = countedAt, now - at < countEveryMs { return [] }
            countedAt = now
            return [.countMembers]
        }
    }

    private mutating func rebalance(at now: Int64) -> [Action] {
        if owned.count > share {
            guard let since = overSince else {
                overSince = now
                return []
            }
            guard now - since >= settleMs else { return [] }
            overSince = nil
            // The excess least preferred goes back; the others keep what they have.
            let excess = preference.filter(owned.contains).suffix(owned.count - share)
            for p in excess {
                owned.remove(p)
                handingBack.insert(p)
            }
            return excess.map { .handBack($0) }
        }
        overSince = nil
        guard owned.count < share, trying == nil else { return [] }
        pass = preference.filter { !owned.contains($0) && !handingBack.contains($0) }
        return nextAttempt()
    }

    private mutating func nextAttempt() -> [Action] {
        guard owned.count < share, !pass.isEmpty else {
            pass = []
            return []
        }
        let p = pass.removeFirst()
        trying = p
        return [.tryLock(p)]
    }
}
