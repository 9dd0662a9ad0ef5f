import FleetCore
import FleetMigrations
import LibPQ
import Logging
import Testing
@testable import FleetIngest

/// Readings read back in commit order on the real PostgreSQL, as the owner of some partitions reads
/// them when several instances share detection: a batch that took its transaction first but commits
/// last is never passed over, pages continue where they stopped, and an owner fetches only its own
/// partitions' readings (and those stored before readings had a partition key, which every owner reads).
extension OnTheTestStack {
    @Suite struct ReadingsFeedEndToEndTests {
        let all = PartitionScheme(count: 1)!

        static func migrated(_ db: TestDatabase) throws -> PGConnection {
            let pg = try db.connect()
            try Migrator(schema: "public", logger: Logger(label: "test")).migrate(pg, migrations: Migrations.all)
            return pg
        }

        /// One reading, with its partition key as fleetd writes it (`keyed`) or without, as stored before the column.
        static func insert(_ pg: PGConnection, _ vehicle: String, ts: Int, fuel: Double, keyed: Bool = true) throws {
            try pg.exec("""
                INSERT INTO readings (vehicle_id, channel, ts, received_at, fuel_l, partition_key)
                VALUES ($1, 'fuel', 'epoch'::timestamptz + $2::bigint * interval '1 millisecond', now(), $3, $4::int)
                """, [vehicle, String(1_767_225_600_000 + ts * 1000), String(fuel), keyed ? String(PartitionScheme.key(of: vehicle)) : nil])
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

        @Test func pagesResumeAfterTheCursorAndAnOwnerFetchesOnlyItsPartitions() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let pg = try Self.migrated(db)
            // Three batches of 10 vehicles × 4 readings; the first stored before readings had a partition key.
            for batch in 0..<3 {
                try pg.exec("BEGIN")
                for v in 0..<10 {
                    for k in 0..<4 { try Self.insert(pg, "v\(v)", ts: batch * 10 + k, fuel: Double(100 * batch + 10 * v + k), keyed: batch > 0) }
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
                cursor = end
                reads += 1
            }
            // The owner of partitions 1 and 3 pages through with its own cursor.
            var fetched = 0
            cursor = .origin
            reads = 0
            while reads < 100 {
                let owned = try ReadingsFeed.read(pg, after: cursor, limit: 7, scheme: scheme, partitions: [1, 3])
                guard let end = owned.scanned else { break }
                mine += owned.rows
                fetched += owned.scannedCount
                cursor = end
                reads += 1
            }
            #expect(seen.count == 120, "every reading once")
            #expect(Set(seen.map { "\($0.reading.vehicleID)@\($0.reading.ts)" }).count == 120)
            let expected = seen.filter { [1, 3].contains(scheme.partition(of: $0.reading.vehicleID)) }
            #expect(!expected.isEmpty && mine.map(\.reading) == expected.map(\.reading) && mine.map(\.position) == expected.map(\.position))
            // It fetched its own readings and the unkeyed batch whole, not the other partitions' keyed ones.
            let ownKeyed = expected.filter { $0.reading.fuelL! >= 100 }.count
            #expect(fetched == 40 + ownKeyed && ownKeyed < 80, "fetched \(fetched)")
            // A batch's readings come before the next batch's.
            let batches = seen.map { Int($0.reading.fuelL! / 100) }
            #expect(batches == batches.sorted())
        }
    }
}
