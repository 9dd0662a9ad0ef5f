import FleetCore
import LibPQ
import Testing
@testable import FleetIngest

/// Partition ownership through PostgreSQL's session advisory locks, on the real server: sessions split
/// the partitions, a killed session's partitions move to the others, a session added later gets its
/// share, and at no moment does the server grant one partition to two sessions.
extension OnTheTestStack {
    @Suite struct PartitionLockEndToEndTests {
        let scheme = PartitionScheme(count: 16)!

        /// Who the server says holds each partition lock of this schema.
        static func holders(_ observer: PGConnection, key: Int32) throws -> [Int: Int32] {
            let r = try observer.exec("""
                SELECT objid::bigint, pid FROM pg_locks
                WHERE \(PartitionLockKeys.grantedHere) AND classid = $1::int::oid
                """, [String(key)])
            var out: [Int: Int32] = [:]
            for i in 0..<r.rowCount { out[Int(r.int(i, 0)!)] = Int32(r.int(i, 1)!) }
            return out
        }

        /// Waits until a terminated server process has exited (its locks with it).
        static func waitGone(_ observer: PGConnection, pid: Int32) throws {
            try observer.exec("SELECT pg_terminate_backend(\(pid))")
            #expect(try eventually(timeout: .seconds(10)) {
                try observer.exec("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)").int(0, 0) == 0
            })
        }

        @Test func sessionsSplitThePartitionsAndTakeOverFromAKilledOne() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let observer = try db.connect()
            var sessions = (0..<3).map {
                PartitionLockSession(conninfo: db.url, schema: "public", instance: "fleetd-\($0)", scheme: scheme, settleMs: 3_000)
            }
            // What each session was told it detects, as the detection side would track it.
            var detecting: [Int: Set<Int>] = [:]
            var now: Int64 = 0
            func stepAll(_ steps: Int) throws {
                for _ in 0..<steps {
                    now += 1_000
                    for (i, s) in sessions.enumerated() {
                        s.step(nowMs: now) { change in
                            switch change {
                            case .own(let p): detecting[i, default: []].insert(p)
                            case .handBack(let p): detecting[i]?.remove(p)
                            case .lose(let ps): detecting[i]?.subtract(ps)
                            }
                        }
                    }
                    // The server's view and the sessions' agree at every step, and nothing is held twice.
                    let held = try Self.holders(observer, key: sessions[0].keys.partition)
                    for (i, s) in sessions.enumerated() {
                        let mine = Set(held.filter { $0.value == s.backendPID }.keys)
                        #expect(mine == detecting[i, default: []], "session \(i): server \(mine.sorted()), told \(detecting[i, default: []].sorted())")
                    }
                }
            }

            try stepAll(20)
            #expect(try Self.holders(observer, key: sessions[0].keys.partition).count == 16)
            #expect(detecting.values.map(\.count).sorted() == [4, 6, 6], "\(detecting)")

            // kill -9 of the second: its backend goes, and its process with it (never stepped again).
            let victim = try #require(sessions[1].backendPID)
            let victimHeld = detecting[1]?.count ?? 0
            try Self.waitGone(observer, pid: victim)
            sessions.remove(at: 1)
            detecting = [0: detecting[0] ?? [], 1: detecting[2] ?? []]
            #expect(try Self.holders(observer, key: sessions[0].keys.partition).count == 16 - victimHeld)
            // The survivors count members every 2 s: the partitions move within two steps of a second.
            try stepAll(3)
            #expect(try Self.holders(observer, key: sessions[0].keys.partition).count == 16)
            #expect(detecting.values.map(\.count).sorted() == [8, 8])

            // A session added later: the others hand back their excess after settling, it takes it.
            sessions.append(PartitionLockSession(conninfo: db.url, schema: "public", instance: "fleetd-3", scheme: scheme, settleMs: 3_000))
            try stepAll(15)
            #expect(try Self.holders(observer, key: sessions[0].keys.partition).count == 16)
            #expect(detecting.values.map(\.count).sorted() == [4, 6, 6], "\(detecting)")
            for s in sessions { s.close() }
        }

        @Test func aSessionThatLosesItsConnectionIsToldAndComesBack() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let observer = try db.connect()
            let session = PartitionLockSession(conninfo: db.url, schema: "public", instance: "solo", scheme: scheme)
            var changes: [PartitionLockSession.Change] = []
            session.step(nowMs: 0) { changes.append($0) }
            #expect(changes == (0..<16).map { .own((session.machine.offset + $0) % 16) })
            changes = []
            try Self.waitGone(observer, pid: try #require(session.backendPID))
            session.step(nowMs: 5_000) { changes.append($0) }
            #expect(changes == [.lose(Array(0..<16))])
            #expect(try Self.holders(observer, key: session.keys.partition).isEmpty)
            changes = []
            session.step(nowMs: 10_000) { changes.append($0) }
            #expect(changes.count == 16)
            #expect(try Self.holders(observer, key: session.keys.partition).count == 16)
            // Another schema's fleetd in the same database uses other lock keys.
            #expect(PartitionLockSession(conninfo: db.url, schema: "other", instance: "x", scheme: scheme).keys.partition != session.keys.partition)
            session.close()
        }
    }
}
