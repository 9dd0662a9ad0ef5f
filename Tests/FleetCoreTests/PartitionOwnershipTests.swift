@testable import FleetCore
import SeededRandom
import Testing

/// Instances sharing detection through advisory locks, simulated without I/O: a lock table grants each
/// partition to one session at a time and forgets a session's locks when its connection goes, as
/// PostgreSQL does. Whatever joins, dies or loses its connection, no partition is ever detected by
/// two instances, and once things are quiet every partition is detected by exactly one, in shares.
@Suite struct PartitionOwnershipTests {
    struct Cluster {
        let scheme = PartitionScheme(count: 64)!
        var machines: [Int: PartitionOwnership] = [:]
        /// Instances whose lock connection is up (each holds a membership lock).
        var connected: Set<Int> = []
        /// Partition → the instance whose session holds its lock.
        var locks: [Int: Int] = [:]
        /// What each live instance is detecting now.
        var detecting: [Int: Set<Int>] = [:]
        var now: Int64 = 0
        var violations: [String] = []

        mutating func deliver(_ i: Int, _ first: PartitionOwnership.Event) {
            var queue = [first]
            while !queue.isEmpty {
                let event = queue.removeFirst()
                guard let actions = machines[i]?.handle(event) else { return }
                for action in actions {
                    switch action {
                    case .countMembers:
                        queue.append(.members(connected.count, at: now))
                    case .tryLock(let p):
                        if locks[p] == nil || locks[p] == i {
                            locks[p] = i
                            queue.append(.granted(p))
                        } else {
                            queue.append(.refused(p))
                        }
                    case .own(let p):
                        if locks[p] != i { violations.append("\(i) owns \(p) without its lock") }
                        if let other = detecting.first(where: { $0.key != i && $0.value.contains(p) }) {
                            violations.append("\(i) owns \(p) while \(other.key) detects it")
                        }
                        detecting[i, default: []].insert(p)
                    case .handBack(let p):
                        // State and cursor are committed before the lock goes.
                        detecting[i]?.remove(p)
                        if locks[p] == i { locks[p] = nil }
                        queue.append(.handedBack(p))
                    case .lose(let ps):
                        for p in ps { detecting[i]?.remove(p) }
                    }
                }
            }
        }

        mutating func join(_ i: Int) {
            machines[i] = PartitionOwnership(scheme: scheme, instance: "fleetd-\(i)")
            detecting[i] = []
            connectionBack(i)
        }

        /// kill -9: the process and its connections are gone; PostgreSQL drops its locks.
        mutating func kill(_ i: Int) {
            machines[i] = nil
            detecting[i] = nil
            connected.remove(i)
            locks = locks.filter { $0.value != i }
        }

        /// The lock connection drops (the process lives on): its locks are gone at once.
        mutating func connectionLost(_ i: Int) {
            connected.remove(i)
            locks = locks.filter { $0.value != i }
            deliver(i, .connectionLost)
        }

        mutating func connectionBack(_ i: Int) {
            connected.insert(i)
            deliver(i, .connected)
        }

        mutating func advance(ms: Int64, steps: Int = 1) {
            for _ in 0..<steps {
                now += ms
                for i in machines.keys.sorted() where connected.contains(i) { deliver(i, .tick(at: now)) }
            }
        }

        var detectedOnce: Bool {
            let all = detecting.values.flatMap { $0 }
            return all.count == scheme.count && Set(all).count == scheme.count
        }

        var shares: [Int] { detecting.keys.sorted().map { detecting[$0]!.count } }

        /// `instances` started together, half a minute later.
        static func settled(instances: Int) -> Cluster {
            var c = Cluster()
            for i in 0..<instances { c.join(i) }
            c.advance(ms: 1_000, steps: 30)
            return c
        }
    }

    @Test func aLoneInstanceDetectsEveryPartition() {
        var c = Cluster()
        c.join(0)
        #expect(c.detectedOnce && c.violations.isEmpty)
        #expect(c.machines[0]?.owned.count == 64)
    }

    @Test func threeInstancesStartedTogetherSplitThePartitions() {
        let c = Cluster.settled(instances: 3)
        #expect(c.detectedOnce, "\(c.shares)")
        #expect(c.shares.allSatisfy { (20...22).contains($0) }, "\(c.shares)")
        #expect(c.violations.isEmpty, "\(c.violations)")
    }

    @Test func aKilledInstancesPartitionsMoveAtTheNextCount() {
        var c = Cluster.settled(instances: 3)
        c.kill(1)
        #expect(!c.detectedOnce)
        // Counted every 2 s: within two counts the survivors hold everything.
        c.advance(ms: 1_000, steps: 4)
        #expect(c.detectedOnce, "\(c.shares)")
        #expect(c.shares == [32, 32])
        #expect(c.violations.isEmpty, "\(c.violations)")
    }

    @Test func anInstanceAddedGetsItsShareOnceTheOthersHaveSettled() {
        var c = Cluster.settled(instances: 3)
        c.join(3)
        #expect(c.detecting[3]?.isEmpty == true, "the others still hold everything")
        c.advance(ms: 1_000, steps: 5)
        #expect(c.detecting[3]?.isEmpty == true, "nobody sheds before the settle time")
        c.advance(ms: 1_000, steps: 20)
        #expect(c.detectedOnce, "\(c.shares)")
        #expect(c.shares == [16, 16, 16, 16])
        #expect(c.violations.isEmpty, "\(c.violations)")
    }

    @Test func aLostLockConnectionStopsDetectionAtOnceAndRejoinsLater() {
        var c = Cluster.settled(instances: 2)
        c.connectionLost(0)
        #expect(c.detecting[0]?.isEmpty == true)
        #expect(c.machines[0]?.owned.isEmpty == true)
        c.advance(ms: 1_000, steps: 4)
        #expect(c.shares == [0, 64])
        c.connectionBack(0)
        c.advance(ms: 1_000, steps: 30)
        #expect(c.shares == [32, 32])
        #expect(c.violations.isEmpty, "\(c.violations)")
    }

    /// Joins, kill -9s and dropped connections at random: never two detectors for a partition, and a
    /// quiet minute later every partition has exactly one, each instance within its share.
    @Test(arguments: 0..<20) func churnNeverDoublesAndAlwaysSettles(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var c = Cluster()
        var next = 0
        for _ in 0..<3 {
            c.join(next)
            next += 1
        }
        for _ in 0..<300 {
            let live = c.machines.keys.sorted()
            switch rng.int(0, 19) {
            case 0 where live.count < 6:
                c.join(next)
                next += 1
            case 1 where live.count > 1:
                c.kill(live[rng.int(0, live.count - 1)])
            case 2:
                let i = live[rng.int(0, live.count - 1)]
                if c.connected.contains(i) { c.connectionLost(i) } else { c.connectionBack(i) }
            default:
                c.advance(ms: Int64(rng.int(100, 3_000)))
            }
            #expect(c.violations.isEmpty, "seed \(seed): \(c.violations)")
            for (i, ps) in c.detecting {
                #expect(ps.allSatisfy { c.locks[$0] == i }, "seed \(seed): \(i) detects without the lock")
            }
        }
        for i in c.machines.keys where !c.connected.contains(i) { c.connectionBack(i) }
        c.advance(ms: 1_000, steps: 60)
        #expect(c.detectedOnce, "seed \(seed): \(c.shares)")
        let share = (64 + c.machines.count - 1) / c.machines.count
        #expect(c.shares.allSatisfy { $0 <= share }, "seed \(seed): \(c.shares)")
    }

    @Test func theSchemeIsStableAndSpreadsVehicles() {
        let scheme = PartitionScheme(count: 64)!
        // Pinned: every instance, build and machine must put a vehicle in the same partition.
        #expect(PartitionScheme.fnv1a("".utf8) == 0xcbf2_9ce4_8422_2325)
        #expect(PartitionScheme.fnv1a("a".utf8) == 0xaf63_dc4c_8601_ec8c)
        #expect(PartitionScheme.key(of: "a") == 1_489_392_661)
        #expect(scheme.partition(of: "a") == Int(PartitionScheme.key(of: "a")) % 64, "a partition is its stored key modulo the count")
        // Spread evenly, for ids as fleets number them, whatever the count.
        for (count, ids) in [(64, (0..<64_000).map { "v\($0)" }), (8, (0..<64_000).map { "TRUCK-\(100_000 + $0)" }), (7, (0..<7_000).map { "v\($0)" })] {
            let scheme = PartitionScheme(count: count)!
            var counts = [Int](repeating: 0, count: count)
            for id in ids { counts[scheme.partition(of: id)] += 1 }
            let fair = ids.count / count
            #expect(counts.min()! > fair * 8 / 10 && counts.max()! < fair * 12 / 10, "\(count): \(counts.min()!)…\(counts.max()!)")
        }
        #expect(PartitionScheme(count: 0) == nil && PartitionScheme(count: 5_000) == nil)
    }
}
