import FleetCore
import FleetSim
import SeededRandom
import Testing
@testable import FleetIngest

/// The owner's side of shared detection without I/O: pages of the readings feed in, events out.
/// Readings stored by several instances, their batches committed out of receipt order, reach the
/// detectors in receipt order; a partition taken over from an instance killed after its last
/// checkpoint is read again from there by its new owner, while the new owner's own partitions go on.
/// The events found (twins collapsed, as the tables' natural keys do) equal one detector's fed the
/// stream as one instance receives it.
@Suite struct OwnedPartitionsTests {
    static let lagMs: Int64 = 2_000

    /// The feed as PostgreSQL returns it. The traffic is received round-robin by `instances`, each
    /// storing batches of at most `batch` readings and 100 ms; an instance's batch commits `100 ms + its
    /// delay` after its last receipt (instance k is k × `skewMs` slower), and the feed is in commit
    /// order, then in receipt order within a transaction.
    struct Feed {
        var rows: [ReadingsFeed.Row] = []

        init(_ traffic: [(Reading, Int64)], scheme: PartitionScheme, instances: Int = 1, batch: Int = 40, skewMs: Int64 = 300) {
            // Receipt in microseconds, unique and in the order received (arrival milliseconds repeat).
            var received: [(Reading, Int64)] = []
            var last: Int64 = .min
            for (r, at) in traffic {
                last = max(last + 1, at * 1000)
                received.append((r, last))
            }
            var batches: [(commitMs: Int64, rows: [(Reading, Int64)])] = []
            for k in 0..<instances {
                // A batch closes at `batch` readings or 100 ms after its first, as fleetd's do.
                var open: [(Reading, Int64)] = []
                func close() {
                    if !open.isEmpty { batches.append((open.last!.1 / 1000 + 100 + Int64(k) * skewMs, open)) }
                    open = []
                }
                for (n, r) in received.enumerated() where n % instances == k {
                    if let first = open.first, open.count == batch || r.1 - first.1 > 100_000 { close() }
                    open.append(r)
                }
                close()
            }
            for (n, b) in batches.enumerated().sorted(by: { ($0.element.commitMs, $0.offset) < ($1.element.commitMs, $1.offset) }).map(\.element).enumerated() {
                let xid = UInt64(1_000 + n)
                let inTx = b.rows.map { r, micros in
                    (r, micros, ReadingsFeed.Cursor(xid: xid, receivedAtMicros: micros, vehicleID: r.vehicleID, channel: r.channel.rawValue, tsMs: r.ts))
                }.sorted { $0.2 < $1.2 }
                var stored = Set<String>()
                for (r, micros, position) in inTx where stored.insert("\(r.vehicleID)|\(r.channel)|\(r.ts)").inserted {
                    rows.append(.init(reading: r, receivedAtMs: micros / 1000, position: position, partition: scheme.partition(of: r.vehicleID)))
                }
            }
            // A reading stored twice (redelivered) is kept once, by its first transaction.
            var keys = Set<String>()
            rows = rows.filter { keys.insert("\($0.reading.vehicleID)|\($0.reading.channel)|\($0.reading.ts)").inserted }
        }

        /// What `ReadingsFeed.read` answers: the next `limit` rows of `partitions` after the cursor.
        func page(after c: ReadingsFeed.Cursor, limit: Int, partitions: Set<Int>) -> ReadingsFeed.Page {
            // The first row after the cursor (rows are in feed order).
            var from = 0, hi = rows.count
            while from < hi {
                let mid = (from + hi) / 2
                if c < rows[mid].position { hi = mid } else { from = mid + 1 }
            }
            var page = ReadingsFeed.Page()
            for row in rows[from...] where partitions.contains(row.partition) {
                page.rows.append(row)
                page.clockMs = max(page.clockMs ?? .min, row.receivedAtMs)
                if page.rows.count == limit { break }
            }
            page.scanned = page.rows.last?.position
            page.scannedCount = page.rows.count
            return page
        }
    }

    static func inputs(_ sim: FleetSimulation) -> OperatorInputs {
        var inputs = OperatorInputs()
        for spec in sim.specs { inputs.configs[spec.id] = VehicleConfig(capacityL: spec.tankL) }
        return inputs
    }

    static func owner(_ sim: FleetSimulation?, _ partitions: some Sequence<Int>) -> OwnedPartitions {
        var o = OwnedPartitions(windowMs: 10_000, mergeLagMs: lagMs)
        if let sim { o.apply(Self.inputs(sim)) }
        for p in partitions { _ = o.own(p, states: [], mark: .init(scan: .origin)) }
        return o
    }

    /// Reads pages until the owner has caught up with the feed (or `pages` have been read).
    static func read(_ owner: inout OwnedPartitions, _ feed: Feed, pages: Int = .max, into events: inout [DetectionEvent]) {
        var n = 0
        while n < pages {
            let page = feed.page(after: owner.readFrom, limit: 300, partitions: owner.partitions)
            guard page.scannedCount > 0 else { return }
            _ = owner.feed(page, into: &events)
            n += 1
        }
    }

    /// One detector fed the traffic as one instance receives it, to the end.
    static func single(_ sim: FleetSimulation, _ traffic: [(Reading, Int64)]) -> [DetectionEvent] {
        var one = FleetDetection(windowMs: 10_000)
        one.apply(Self.inputs(sim))
        var events: [DetectionEvent] = []
        for (r, at) in traffic { _ = one.ingest(r, arrivalMs: at, into: &events) }
        one.tick(nowMs: traffic.last!.1 + 86_400_000, into: &events)
        return events
    }

    static func compare(_ expected: [DetectionEvent], _ written: [DetectionEvent], _ label: String) {
        #expect(expected.count > 30, "\(label): the case must hold events to compare")
        // The tables keep one of each: what a new owner found again is the stored twin.
        var stored: [DetectionEvent] = []
        for e in written where !stored.contains(e) { stored.append(e) }
        let (missing, unmatched) = EventMultiset.difference(expected: expected, found: stored)
        #expect(missing.isEmpty, "\(label): \(missing.count) of \(expected.count) missed, e.g. \(missing.prefix(2))")
        #expect(unmatched.isEmpty, "\(label): \(unmatched.count) not found by one detector, e.g. \(unmatched.prefix(2))")
    }

    /// Three instances ingest, round-robin, each committing late by a different amount: read back in
    /// commit order, a vehicle's readings are out of receipt order by hundreds of milliseconds; the
    /// merge puts them back and the events are one instance's.
    @Test(arguments: [(NamedScenario.realistic, UInt64(3)), (.faultySensors, 5), (.backlog, 8)])
    func readingsStoredByThreeInstancesAreFedInReceiptOrder(scenario: NamedScenario, seed: UInt64) {
        let config = scenario.config(seed: seed, vehicles: 60, days: 1.5)
        let sim = FleetSimulation(config: config)
        let traffic = DetectionBench.traffic(config).readings
        let scheme = PartitionScheme(count: 8)!
        let feed = Feed(traffic, scheme: scheme, instances: 3, batch: 50)
        #expect(zip(feed.rows, feed.rows.dropFirst()).contains { $0.1.receivedAtMs < $0.0.receivedAtMs - 200 },
                "the case must commit readings out of receipt order")
        var owner = Self.owner(sim, 0..<8)
        var events: [DetectionEvent] = []
        Self.read(&owner, feed, into: &events)
        _ = owner.tickIdle(nowMs: feed.rows.map(\.receivedAtMs).max()! + 86_400_000, into: &events)
        Self.compare(Self.single(sim, traffic), events, "\(scenario)")

        // Without the merge (a lag of zero), the same feed does not find the same events: the case tests it.
        var unmerged = OwnedPartitions(windowMs: 10_000, mergeLagMs: 0)
        unmerged.apply(Self.inputs(sim))
        for p in 0..<8 { _ = unmerged.own(p, states: [], mark: .init(scan: .origin)) }
        var rough: [DetectionEvent] = []
        Self.read(&unmerged, feed, into: &rough)
        _ = unmerged.tickIdle(nowMs: feed.rows.map(\.receivedAtMs).max()! + 86_400_000, into: &rough)
        if scenario == .faultySensors { #expect(Set(rough.map { "\($0)" }) != Set(Self.single(sim, traffic).map { "\($0)" })) }
    }

    @Test(arguments: [(NamedScenario.realistic, UInt64(3)), (.faultySensors, 5), (.backlog, 8)])
    func aPartitionTakenOverAfterAKillIsReadAgainFromItsCheckpoint(scenario: NamedScenario, seed: UInt64) {
        let config = scenario.config(seed: seed, vehicles: 60, days: 1.5)
        let sim = FleetSimulation(config: config)
        let scheme = PartitionScheme(count: 8)!
        let traffic = DetectionBench.traffic(config).readings
        let feed = Feed(traffic, scheme: scheme, instances: 3, batch: 50)
        let endMs = feed.rows.map(\.receivedAtMs).max()! + 86_400_000

        var a = Self.owner(sim, 0..<4), b = Self.owner(sim, 4..<8)
        var written: [DetectionEvent] = []
        let pages = feed.rows.count / 300
        Self.read(&a, feed, pages: pages * 2 / 5, into: &written)
        Self.read(&b, feed, pages: pages * 3 / 5, into: &written)
        // A's checkpoint: its changed states and marks, stored together…
        #expect(a.waiting > 0, "readings wait in the merge at the checkpoint")
        let checkpoint = a.takeCheckpoint()
        #expect(!checkpoint.states.isEmpty && checkpoint.marks.count == 4)
        // …then it reads on and writes events past the checkpoint before kill -9 loses its memory.
        Self.read(&a, feed, pages: pages / 4, into: &written)
        // B takes A's partitions from the checkpoint: they stand behind its own.
        for p in 0..<4 {
            let states = checkpoint.states.filter { scheme.partition(of: $0.vehicleID) == p }
            #expect(b.own(p, states: states, mark: checkpoint.marks[p]!) == 0)
        }
        #expect(b.readFrom < checkpoint.marks[0]!.scan)
        Self.read(&b, feed, into: &written)
        _ = b.tickIdle(nowMs: endMs, into: &written)
        Self.compare(Self.single(sim, traffic), written, "\(scenario)")
        // Not only the events: every vehicle ends in the state one owner of everything leaves it in, so
        // not a reading was lost or fed twice in the takeover.
        var whole = Self.owner(sim, 0..<8)
        var ignored: [DetectionEvent] = []
        Self.read(&whole, feed, into: &ignored)
        _ = whole.tickIdle(nowMs: endMs, into: &ignored)
        var differing: [String] = []
        for spec in sim.specs {
            let p = scheme.partition(of: spec.id)
            if b.owned[p]?.detection.state(of: spec.id) != whole.owned[p]?.detection.state(of: spec.id) { differing.append(spec.id) }
        }
        #expect(differing.isEmpty, "\(scenario): states differ after the takeover: \(differing)")
        #expect(written.count > Set(written.map { "\($0)" }).count, "the new owner must have found some events again, or the case does not test the takeover")
    }

    /// Two parked vehicles, one per partition, fill up in the same minute. Partition 1's mark lies
    /// after the fill (its last owner read that far): from a page starting at partition 0's position
    /// it is fed only what came after, so only partition 0 reports the fill.
    @Test func aPartitionAheadOfThePageIsNotFedWhatItAlreadyRead() {
        let scheme = PartitionScheme(count: 2)!
        let ids = (0..<40).map { "v\($0)" }
        let p0 = ids.first { scheme.partition(of: $0) == 0 }!, p1 = ids.first { scheme.partition(of: $0) == 1 }!
        let t0: Int64 = 1_767_225_600_000
        var traffic: [(Reading, Int64)] = []
        for i in 0..<40 {
            for id in [p0, p1] {
                var r = Reading(vehicleID: id, channel: .telemetry, ts: t0 + Int64(i) * 60_000, seq: nil)
                r.fuelL = i < 15 ? 60 : 160
                r.ignition = false
                r.speedKmh = 0
                r.odometerKm = 12_000
                traffic.append((r, t0 + Int64(i) * 60_000 + 500))
            }
        }
        let feed = Feed(traffic, scheme: scheme, batch: 4)
        var owner = Self.owner(nil, [])
        var inputs = OperatorInputs()
        inputs.configs = [p0: VehicleConfig(capacityL: 200), p1: VehicleConfig(capacityL: 200)]
        owner.apply(inputs)
        let ahead = feed.rows.last { $0.partition == 1 && $0.reading.ts == t0 + 20 * 60_000 }!
        _ = owner.own(0, states: [], mark: .init(scan: .origin))
        _ = owner.own(1, states: [], mark: .init(scan: ahead.position, fed: ahead.position.receipt, seenMs: ahead.receivedAtMs))
        #expect(owner.readFrom == .origin, "the page starts at the partition furthest behind")
        var events: [DetectionEvent] = []
        _ = owner.feed(feed.page(after: .origin, limit: 1_000, partitions: [0, 1]), into: &events)
        #expect(owner.owned[0]!.scan == feed.rows.last!.position && owner.owned[1]!.scan == feed.rows.last!.position, "both stand at the page's end")
        _ = owner.tickIdle(nowMs: t0 + 86_400_000, into: &events)
        let refuels = events.compactMap { e -> String? in
            if case .transaction(let tx) = e, tx.kind == .refuel { return tx.vehicleID }
            return nil
        }
        #expect(refuels == [p0], "\(events)")
        #expect(owner.owned[1]!.detection.state(of: p1) != nil, "partition 1 was fed what came after its mark")
    }
}
