import FleetCore
import FleetMigrations
import Foundation
import LibPQ
import Logging
import Synchronization
import Testing
@testable import FleetIngest

/// A partition's cursor moves with its lock on the real PostgreSQL: the next owner resumes where the
/// last committed, an owner that lost its locks writes nothing, and a new owner waits for the old
/// owner's commit in flight instead of reading the cursor before it.
extension OnTheTestStack {
    @Suite struct PartitionCursorsEndToEndTests {
        let scheme = PartitionScheme(count: 4)!
        let keys = PartitionLockKeys(schema: "public")
        static let c0 = PartitionCursors.Mark(
            scan: .init(xid: 1_000, receivedAtMicros: 1_767_225_600_400_123, vehicleID: "v7", channel: "fuel", tsMs: 1_767_225_600_123),
            rescan: .init(xid: 998, receivedAtMicros: 1_767_225_599_000_000, vehicleID: "v3", channel: "gps", tsMs: 1_767_225_598_999),
            fed: .init(receivedAtMicros: 1_767_225_599_500_000, vehicleID: "v7", channel: "fuel", tsMs: 1_767_225_599_000),
            seenMs: 1_767_225_599_000, clockMs: 1_767_225_600_500)
        static let c1 = PartitionCursors.Mark(
            scan: .init(xid: 1_002, receivedAtMicros: 1_767_225_601_000_001, vehicleID: "v9", channel: "telemetry", tsMs: 1_767_225_601_000))

        static func migrated(_ db: TestDatabase) throws -> PGConnection {
            let pg = try db.connect()
            try Migrator(schema: "public", logger: Logger(label: "test")).migrate(pg, migrations: Migrations.all)
            return pg
        }

        /// What the new owner's loader thread read, once it read.
        final class Loaded: Sendable {
            let cursors = Mutex<[Int: PartitionCursors.Mark]?>(nil)
        }

        /// A lock session that owns every partition.
        func owner(_ db: TestDatabase, _ name: String) -> PartitionLockSession {
            let s = PartitionLockSession(conninfo: db.url, schema: "public", instance: name, scheme: scheme)
            s.step(nowMs: 0) { _ in }
            return s
        }

        @Test func theNextOwnerResumesWhereTheLastCommitted() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let pg = try Self.migrated(db)
            let a = owner(db, "a")
            #expect(a.machine.owned.count == 4)
            try pg.exec("BEGIN")
            try PartitionCursors.commit(pg, [0: Self.c0, 1: Self.c1], scheme: scheme, owner: "a", keys: keys, lockPID: try #require(a.backendPID))
            try pg.exec("COMMIT")
            a.close()
            let b = owner(db, "b")
            #expect(b.machine.owned.count == 4)
            let loaded = try PartitionCursors.load(try db.connect(), partitions: [0, 1, 2, 3], scheme: scheme, owner: "b", keys: keys,
                                                   lockPID: try #require(b.backendPID))
            #expect(loaded.marks.filter { $0.key < 2 } == [0: Self.c0, 1: Self.c1])
            // Partitions never read start at the end of the feed (empty here: its origin), written at once.
            #expect(loaded.marks[2] == PartitionCursors.Mark(scan: .origin) && loaded.marks[3] == loaded.marks[2])
            #expect(try db.count("SELECT count(*) FROM detection_cursors WHERE owner = 'b'") == 2)
            // Run with another partition count, the stored cursors are refused with what to do.
            #expect(throws: PartitionCursors.CountChanged.self) {
                try PartitionCursors.load(try db.connect(), partitions: [0], scheme: PartitionScheme(count: 8)!, owner: "b", keys: keys,
                                          lockPID: try #require(b.backendPID))
            }
            b.close()
        }

        @Test func anOwnerThatLostItsLocksWritesNothing() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let pg = try Self.migrated(db)
            let a = owner(db, "a")
            let pid = try #require(a.backendPID)
            try PartitionLockEndToEndTests.waitGone(pg, pid: pid)
            try pg.exec("BEGIN")
            #expect(throws: PartitionCursors.Lost.self) {
                try PartitionCursors.commit(pg, [0: Self.c0], scheme: scheme, owner: "a", keys: keys, lockPID: pid)
            }
            try pg.exec("ROLLBACK")
            #expect(try db.count("SELECT count(*) FROM detection_cursors") == 0)
        }

        @Test func aNewOwnerWaitsForTheOldOwnersCommitInFlight() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let pg = try Self.migrated(db)
            let observer = try db.connect()
            let a = owner(db, "a")
            // The old owner is committing: its cursors written, the transaction not ended…
            try pg.exec("BEGIN")
            try PartitionCursors.commit(pg, [2: Self.c1], scheme: scheme, owner: "a", keys: keys, lockPID: try #require(a.backendPID))
            // …when its lock connection dies and another instance takes the partitions.
            try PartitionLockEndToEndTests.waitGone(observer, pid: try #require(a.backendPID))
            let b = owner(db, "b")
            #expect(b.machine.owned.count == 4)
            let loaded = Loaded()
            let url = db.url, scheme = scheme, keys = keys, pid = try #require(b.backendPID)
            let loader = Thread {
                let cursors = try? PartitionCursors.load(try PGConnection(url), partitions: [0, 1, 2, 3], scheme: scheme, owner: "b", keys: keys,
                                                         lockPID: pid)
                loaded.cursors.withLock { $0 = cursors?.marks.filter { $0.value.scan != .origin } ?? [:] }
            }
            loader.start()
            Thread.sleep(forTimeInterval: 0.5)
            #expect(loaded.cursors.withLock { $0 } == nil, "the new owner waits on the fence")
            try pg.exec("COMMIT")
            #expect(eventually(timeout: .seconds(10)) { loaded.cursors.withLock { $0 } != nil })
            #expect(loaded.cursors.withLock { $0 } == [2: Self.c1], "and then reads the cursor the old owner committed")
            b.close()
        }
    }
}
