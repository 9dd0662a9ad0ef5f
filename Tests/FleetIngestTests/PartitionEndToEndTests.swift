import FleetCore
import FleetMigrations
import Foundation
import LibPQ
import Logging
import Testing
@testable import FleetIngest

/// `readings` by day on the real PostgreSQL: an existing table converted in place with its data, days
/// made ahead and for a backlog, days past the retention dropped, far-off clocks kept in the default
/// partition; all while fleetd writes, with every published reading stored once.
extension OnTheTestStack {
    @Suite struct PartitionEndToEndTests {
        static let day: Int64 = 86_400_000

        static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

        static func partitions(_ pg: PGConnection) throws -> [String] {
            let r = try pg.exec("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'readings'::regclass ORDER BY 1
                """)
            return (0..<r.rowCount).compactMap { r.string($0, 0) }
        }

        static func dayName(_ ms: Int64) -> String { PartitionPlan.name(day: Timestamp.day(ms: ms)) }

        @Test func anUnpartitionedTableHoldingDataIsConvertedInPlace() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let pg = try db.connect()
            let migrator = Migrator(schema: "public", logger: Logger(label: "test"))
            try migrator.migrate(pg, migrations: Migrations.all.filter { $0.version < 7 })
            // Two days of three vehicles every minute, a unit whose clock says 2150 and one saying 1990.
            try pg.exec("""
                INSERT INTO readings (vehicle_id, channel, ts, received_at, fuel_l)
                SELECT 'old-' || v, 'fuel', now() - make_interval(mins => m), now(), 100 - m * 0.01
                FROM generate_series(1, 3) v, generate_series(0, 2 * 1440 - 1) m;
                INSERT INTO readings (vehicle_id, channel, ts, received_at, fuel_l) VALUES
                    ('far', 'fuel', '2150-01-01T00:00:00Z', now(), 1), ('far', 'fuel', '1990-01-01T00:00:00Z', now(), 2);
                """)
            let before = try db.count("SELECT count(*) FROM readings")
            // Events from before the feed existed: numbered in time order by the upgrade, new ones after them.
            try pg.exec("""
                INSERT INTO anomalies (vehicle_id, kind, ts, severity) VALUES ('old-1', 'gps_jump', now() - interval '1 hour', 'info'),
                    ('old-2', 'gps_jump', now() - interval '3 hours', 'info');
                INSERT INTO fuel_transactions (vehicle_id, kind, started_at, ended_at, volume_l) VALUES
                    ('old-1', 'refuel', now() - interval '2 hours', now() - interval '2 hours', 80);
                """)
            let sum = try pg.exec("SELECT sum(fuel_l) FROM readings").double(0, 0)

            #expect(try migrator.migrate(pg) == Migrations.all.map(\.version).filter { $0 >= 7 })
            #expect(try pg.exec("SELECT string_agg(vehicle_id || ':' || kind, ',' ORDER BY seq) FROM events").string(0, 0)
                    == "old-2:gps_jump,old-1:refuel,old-1:gps_jump")
            try pg.exec("INSERT INTO anomalies (vehicle_id, kind, ts, severity) VALUES ('new', 'gps_jump', now() - interval '5 hours', 'info')")
            #expect(try pg.exec("SELECT seq FROM events WHERE vehicle_id = 'new'").int(0, 0) == 4, "the feed goes on after the numbered rows")
            #expect(try pg.exec("SELECT relkind FROM pg_class WHERE oid = 'readings'::regclass").string(0, 0) == "p")
            #expect(try db.count("SELECT count(*) FROM readings") == before)
            #expect(try pg.exec("SELECT sum(fuel_l) FROM readings").double(0, 0) == sum)
            #expect(try Self.partitions(pg) == ["readings_default", "readings_legacy"])
            #expect(try pg.exec("SELECT vehicle_id, fuel_l FROM readings_default").string(0, 1) == "1", "2150 waits in the default partition")
            #expect(try db.count("SELECT count(*) FROM readings_legacy WHERE vehicle_id = 'far'") == 1, "1990 stays with the old rows")
            #expect(try db.count("SELECT count(*) FROM pg_indexes WHERE tablename = 'readings_legacy' AND indexname = 'readings_legacy_pkey'") == 1,
                    "the old primary key index serves the partition, not rebuilt")
            // The key still holds across the conversion: old rows and the far-off one are not written twice.
            #expect(try pg.exec("""
                INSERT INTO readings SELECT * FROM readings WHERE vehicle_id IN ('old-1', 'far') ON CONFLICT DO NOTHING
                """).affectedRows == 0)

            // fleetd's upkeep: the days ahead (today is the old table's), nothing dropped within 90 days.
            let sink = try PostgresSink(conninfo: db.url, schema: "public")
            let done = try sink.upkeep(Upkeep(rejectedOlderThan: nil, readingsRetention: .seconds(90 * 86_400)))
            let now = Self.nowMs()
            #expect(done.created == (1...Upkeep.daysAhead).map { Self.dayName(now + Int64($0) * Self.day) })
            #expect(done.dropped.isEmpty && done.problems.isEmpty)
            try pg.exec("INSERT INTO readings (vehicle_id, channel, ts, received_at) VALUES ('new', 'fuel', now() + interval '1 day', now())")
            #expect(try pg.exec("SELECT tableoid::regclass::text FROM readings WHERE vehicle_id = 'new'").string(0, 0) == Self.dayName(now + Self.day))
            // The old rows' partition ends tomorrow: even an hour's retention leaves it until then.
            #expect(try sink.upkeep(Upkeep(rejectedOlderThan: nil, readingsRetention: .seconds(3_600))).dropped.isEmpty)

            // Dead letters are kept unless an operator sets their retention; then only the old ones go.
            try pg.exec("""
                INSERT INTO dead_letters (received_at, topic, spool_id, spool_position, error) VALUES
                    (now() - interval '40 days', 'fleet/a/fuel', 's', 1, 'old'), (now() - interval '1 day', 'fleet/b/fuel', 's', 2, 'recent')
                """)
            #expect(try sink.upkeep(Upkeep(rejectedOlderThan: nil, readingsRetention: nil)).deadLettersDeleted == 0)
            #expect(try sink.upkeep(Upkeep(rejectedOlderThan: nil, deadLettersOlderThan: .seconds(30 * 86_400), readingsRetention: nil))
                        .deadLettersDeleted == 1)
            #expect(try pg.exec("SELECT string_agg(error, ',') FROM dead_letters").string(0, 0) == "recent")
        }

        @Test func aReadingsThatIsNotPartitionedIsLeftAlone() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            // An operator's own layout (e.g. a TimescaleDB hypertable is a plain table to the catalog).
            let pg = try db.connect()
            try pg.exec("""
                DROP VIEW fuel_levels;
                ALTER TABLE readings RENAME TO readings_by_day;
                CREATE TABLE readings (LIKE readings_by_day INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
                ALTER TABLE readings ADD PRIMARY KEY (vehicle_id, channel, ts);
                INSERT INTO readings (vehicle_id, channel, ts, received_at) VALUES ('v', 'fuel', now() - interval '400 days', now());
                """)
            let sink = try PostgresSink(conninfo: db.url, schema: "public")
            #expect(try sink.upkeep(Upkeep(rejectedOlderThan: nil, readingsRetention: .seconds(3_600))) == Upkeep.Done())
            #expect(sink.partitionCoverage == nil)
            #expect(try db.count("SELECT count(*) FROM readings") == 1)
        }

        /// A message per reading, on its own vehicle's fuel channel.
        static func message(_ vehicle: String, ts: Int64, fuel: Double) -> Traffic.Message {
            Traffic.Message(topic: "fleet/\(vehicle)/fuel", payload: Array(#"{"ts":\#(ts),"fuel_l":\#(fuel)}"#.utf8))
        }

        @Test func whileFleetdWritesDaysAreMadeMovedAndDroppedAndEveryReadingIsStoredOnce() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db, extraArgs: ["--retention", "30d", "--detection", "off"])
            try fleetd.startReady()
            let pg = try db.connect()
            let now = Self.nowMs()
            let ahead = (0...Upkeep.daysAhead).map { Self.dayName(now + Int64($0) * Self.day) }
            #expect(eventually { Set((try? Self.partitions(pg)) ?? []).isSuperset(of: ahead) }, "today and the days ahead are made at start")

            // A day 40 days old (an operator's, or kept from before) with rows: past the 30-day retention.
            let old = now - 40 * Self.day
            let oldDay = Timestamp.day(ms: old)
            try pg.exec("""
                CREATE TABLE \(Self.dayName(old)) PARTITION OF readings FOR VALUES
                    FROM (to_timestamp(\(oldDay * 86_400))) TO (to_timestamp(\((oldDay + 1) * 86_400)));
                INSERT INTO readings (vehicle_id, channel, ts, received_at)
                SELECT 'p-old', 'fuel', to_timestamp(\(oldDay * 86_400) + s * 60), now() FROM generate_series(0, 99) s;
                """)

            // Readings across today's end into tomorrow, a unit's backlog from 5 days ago (its 50 minutes
            // within that day, whatever the time of the run), and a clock in 2150.
            let midnight = (Timestamp.day(ms: now) + 1) * Self.day
            let backlogStart = Timestamp.day(ms: now - 5 * Self.day) * Self.day + 3_600_000
            var messages: [Traffic.Message] = []
            for v in 0..<50 {
                for i in 0..<150 { messages.append(Self.message("p-live\(v)", ts: midnight - 75_000 + Int64(i) * 1_000, fuel: Double(i))) }
                for i in 0..<50 { messages.append(Self.message("p-back\(v)", ts: backlogStart + Int64(i) * 60_000, fuel: Double(i))) }
            }
            messages.append(Self.message("p-far", ts: 5_680_281_600_000, fuel: 1))  // 2150-01-01
            let publishing = Traffic.publishInBackground(messages)

            // Another fleetd's upkeep (this test's) while this one writes: it makes the backlog's day,
            // moving its rows out of the default partition, and drops the old day.
            let sink = try PostgresSink(conninfo: db.url, schema: "public")
            var dropped: [String] = [], created: [String] = [], moved = 0
            let backDay = Self.dayName(backlogStart)
            let end = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < end && !(dropped.contains(Self.dayName(old)) && created.contains(backDay)) {
                let done = try sink.upkeep(Upkeep(rejectedOlderThan: nil, readingsRetention: .seconds(30 * 86_400)))
                dropped += done.dropped
                created += done.created
                moved += done.movedFromDefault
                usleep(200_000)
            }
            // kill -9 while rows go to several day partitions and the default one: each still lands once.
            fleetd.kill9()
            try fleetd.startReady()
            #expect(publishing.finished(within: 120))
            // One more far-off clock, to this fleetd (the first one's count went with it).
            messages.append(Self.message("p-far", ts: 5_680_368_000_000, fuel: 2))  // 2150-01-02
            try Traffic.publish(messages.suffix(1))
            #expect(dropped == [Self.dayName(old)])
            #expect(created.contains(backDay))
            #expect(eventually { (try? db.count("SELECT count(*) FROM readings WHERE vehicle_id LIKE 'p-%'")) == messages.count })
            // Once more, now that every backlog row is in: the rest of them move into their day.
            _ = try sink.upkeep(Upkeep(rejectedOlderThan: nil, readingsRetention: .seconds(30 * 86_400)))
            #expect(try db.count("SELECT count(*) FROM readings WHERE vehicle_id LIKE 'p-%'") == messages.count, "each stored once, none lost")
            #expect(try db.count("SELECT count(DISTINCT (vehicle_id, ts)) FROM readings WHERE vehicle_id LIKE 'p-%'") == messages.count)
            #expect(try db.count("SELECT count(*) FROM \(backDay) WHERE vehicle_id LIKE 'p-back%'") == 50 * 50)
            #expect(try db.count("SELECT count(*) FROM \(Self.dayName(midnight)) WHERE vehicle_id LIKE 'p-live%'") == 50 * 75)
            #expect(try db.count("SELECT count(*) FROM readings_default") == 2, "only the 2150 clocks wait there")
            #expect(try db.count("SELECT count(*) FROM readings_default WHERE vehicle_id = 'p-far'") == 2)
            // This fleetd counted the second 2150 reading, and the first too if it was still uncommitted at
            // the kill (replayed from the spool; the count is of readings written, duplicates included).
            #expect((1...2).contains(fleetd.metric("fleetd_readings_unpartitioned_total") ?? 0))
            #expect(fleetd.metric("fleetd_postgres_errors_total") == 0, "the upkeep of another fleetd never failed this one's writes")
            #expect(fleetd.terminate() == 0)
        }
    }
}
