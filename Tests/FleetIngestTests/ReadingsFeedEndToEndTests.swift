import FleetCore
import FleetMigrations
import LibPQ
import Logging
import Testing
@testable import FleetIngest

/// Readings read back in commit order on the real PostgreSQL, as the owner of some partitions reads
/// them when several instances share detection: a batch that took its transaction first but commits
/// last is never passed over, pages continue where they stopped, and other partitions' readings are
/// skipped without being read again.
extension OnTheTestStack {
    @Suite struct ReadingsFeedEndToEndTests {
        let all = PartitionScheme(count: 1)!

        static func migrated(_ db: TestDatabase) throws -> PGConnection {
            let pg = try db.connect()
            try Migrator(schema: "public", logger: Logger(label: "test")).migrate(pg, migrations: Migrations.all)
            return pg
        }

        static func insert(_ pg: PGConnection, _ vehicle: String, ts: Int, fuel: Double) throws {
            try pg.exec("""
                INSERT INTO readings (vehicle_id, channel, ts, received_at, fuel_l)
                VALUES ($1, 'fuel', 'epoch'::timestamptz + $2::bigint * interval '1 millisecond', now(), $3)
                """, [vehicle, String(1_767_225_600_000 + ts * 1000), String(fuel)])
        }

        @Test func aBatchThatCommitsLastIsNotPassedOver() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            _ = try Self.migrated(db)
            let a = try db.connect(), b = try db.connect(), reader = try db.connect()
            // A takes its transaction id first and commits last.
            try a.exec("BEGIN")
            try Self.insert(a, "a", ts: 1, fuel: 10)
            try b.exec("BEGIN")
            try Self.insert(b, "b", ts: 1, fuel: 20)
            try b.exec("COMMIT")
            // B's row is committed but lies above a transaction still running: not read yet.
            let early = try ReadingsFeed.read(reader, after: .origin, limit: 100, scheme: all, partitions: [0])
            #expect(early.rows.isEmpty && early.scanned == nil)
            try Self.insert(a, "a", ts: 2, fuel: 11)
            try a.exec("COMMIT")
            // The bound is the cluster's oldest running transaction: other tests' may hold it back a while.
            var late = ReadingsFeed.Page()
            #expect(try eventually {
                late = try ReadingsFeed.read(reader, after: .origin, limit: 100, scheme: all, partitions: [0])
                return late.rows.count == 3
            })
            #expect(late.rows.map(\.reading.vehicleID) == ["a", "a", "b"])
            #expect(late.rows.map(\.reading.fuelL) == [10, 11, 20])
            // Reading what was committed by its id alone would have read B's row first and, resuming
            // after it, never seen A's.
            let xids = try reader.exec("SELECT vehicle_id, xid::text FROM readings ORDER BY vehicle_id, ts")
            #expect(UInt64(xids.string(0, 1)!)! < UInt64(xids.string(2, 1)!)!)
        }

        @Test func pagesResumeAfterTheCursorAndOtherPartitionsAreSkipped() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let pg = try Self.migrated(db)
            // Three batches of 10 vehicles × 4 readings.
            for batch in 0..<3 {
                try pg.exec("BEGIN")
                for v in 0..<10 {
                    for k in 0..<4 { try Self.insert(pg, "v\(v)", ts: batch * 10 + k, fuel: Double(100 * batch + 10 * v + k)) }
                }
                try pg.exec("COMMIT")
            }
            // The bound is the cluster's oldest running transaction: other tests' may hold it back a while.
            #expect(try eventually { try ReadingsFeed.read(pg, after: .origin, limit: 200, scheme: all, partitions: [0]).rows.count == 120 })
            let scheme = PartitionScheme(count: 4)!
            var seen: [ReadingsFeed.Row] = []
            var mine: [ReadingsFeed.Row] = []
            var cursor = ReadingsFeed.Cursor.origin
            var reads = 0
            while reads < 100 {
                let page = try ReadingsFeed.read(pg, after: cursor, limit: 7, scheme: all, partitions: [0])
                guard let end = page.scanned else { break }
                seen += page.rows
                // Each row carries the newest receipt time read before it on its page, passed-over rows included.
                #expect(page.rows.first?.seenBeforeMs == .min && page.rows.map(\.seenBeforeMs) == page.rows.map(\.seenBeforeMs).sorted())
                let owned = try ReadingsFeed.read(pg, after: cursor, limit: 7, scheme: scheme, partitions: [1, 3])
                mine += owned.rows
                #expect(owned.scanned == page.scanned, "the scan advances over others' readings as over its own")
                cursor = end
                reads += 1
            }
            #expect(seen.count == 120, "every reading once")
            #expect(Set(seen.map { "\($0.reading.vehicleID)@\($0.reading.ts)" }).count == 120)
            let expected = seen.filter { [1, 3].contains(scheme.partition(of: $0.reading.vehicleID)) }
            #expect(!expected.isEmpty && mine.map(\.reading) == expected.map(\.reading) && mine.map(\.position) == expected.map(\.position))
            // A batch's readings come before the next batch's.
            let batches = seen.map { Int($0.reading.fuelL! / 100) }
            #expect(batches == batches.sorted())
        }
    }
}
