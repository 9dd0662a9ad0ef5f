import FleetIngest
import Foundation
import Testing

/// The daemon off the happy path: a full spool, a stop it cannot finish, and resume positions that
/// disagree with the spool. Each ends with every published reading stored once, values intact.
extension OnTheTestStack {
    @Suite struct RecoveryEndToEndTests {
        @Test func aFullSpoolMakesTheCallbackWaitAndTheBrokerQueue() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            // The smallest spool (4 MiB holds ~16,000 of these messages) and PostgreSQL away: it fills.
            let fleetd = FleetdProcess(database: db, extraArgs: ["--spool-size", "4MiB"])
            try fleetd.startReady()
            let outage = try PostgresOutage()
            let messages = Traffic.readings(count: 40_000, vehicles: 20, prefix: "bp")
            let publishing = Traffic.publishInBackground(messages)
            #expect(eventually { (fleetd.metric("fleetd_spool_full_waits_total") ?? 0) > 0 }, "the callback must wait for spool space")
            #expect(eventually { fleetd.failingChecks?.contains("spool") == true }, "/readyz must fail on the spool above high water")
            #expect(fleetd.get("/healthz")?.status == 200)
            // The broker holds what fleetd cannot take yet: the publisher is acknowledged regardless.
            #expect(publishing.finished(within: 120), "publisher: \(String(describing: publishing.error.error))")
            let received = fleetd.metric("fleetd_mqtt_messages_received_total") ?? 0
            #expect(received < 40_000, "with the spool full, part of the stream must wait at the broker (received \(received))")
            try outage.end()
            #expect(try eventually(timeout: .seconds(120)) { try db.count("SELECT count(*) FROM readings") >= 40_000 })
            #expect(eventually { fleetd.get("/readyz")?.status == 200 })
            #expect(fleetd.terminate() == 0)
            #expect(try Checksum(of: db) == Checksum(of: messages))
        }

        @Test func aStopWithTheSpoolFullAndPostgresDownLosesNoMessage() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db, extraArgs: ["--spool-size", "4MiB", "--shutdown-timeout", "2s"])
            try fleetd.startReady()
            let outage = try PostgresOutage()
            let messages = Traffic.readings(count: 30_000, vehicles: 12, prefix: "fs")
            let publishing = Traffic.publishInBackground(messages)
            // The callback waits on the full spool with a message in hand when SIGTERM comes.
            #expect(eventually { (fleetd.metric("fleetd_spool_full_waits_total") ?? 0) > 0 })
            #expect(publishing.finished(within: 120), "publisher: \(String(describing: publishing.error.error))")
            #expect(fleetd.terminate() == 0)
            #expect(fleetd.log.contains("exiting without acknowledging the message in hand"))
            try outage.end()
            try fleetd.startReady()
            #expect(try eventually(timeout: .seconds(120)) { try db.count("SELECT count(*) FROM readings") >= 30_000 })
            #expect(fleetd.terminate() == 0)
            #expect(try Checksum(of: db) == Checksum(of: messages), "every published seq stored once")
        }

        /// An operator holds `LOCK TABLE readings` in psql: writes hit the statement timeout, /readyz
        /// says the writes are stalled (not that PostgreSQL is unreachable), a stop still ends within the
        /// shutdown timeout, and once the lock is gone everything commits exactly once.
        @Test func aLockedReadingsTableStallsWritesVisiblyAndLosesNothing() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            let fleetd = FleetdProcess(database: db, extraArgs: ["--postgres-statement-timeout", "2s", "--shutdown-timeout", "3s"])
            try fleetd.startReady()
            let first = Traffic.readings(count: 300, vehicles: 3, prefix: "lk")
            try Traffic.publish(first)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 300 })
            let locker = try db.connect()
            try locker.exec("BEGIN; LOCK TABLE readings IN ACCESS EXCLUSIVE MODE")
            let second = Traffic.readings(count: 300, vehicles: 3, prefix: "lk2")
            try Traffic.publish(second)
            #expect(eventually(timeout: .seconds(30)) { fleetd.get("/readyz")?.body.contains("writes stalled") == true },
                    "readyz: \(fleetd.get("/readyz")?.body ?? "no answer")")
            #expect(fleetd.get("/readyz")?.status == 503)
            #expect(fleetd.failingChecks == ["postgres"])
            // Shutdown timeout 3 s plus at most one statement timeout (2 s) in flight, with room to spare.
            let status = fleetd.terminate(within: 15)
            #expect(status == 0, "SIGTERM must end fleetd while the table is locked")
            try locker.exec("ROLLBACK")
            try fleetd.startReady()
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 600 })
            #expect(fleetd.terminate() == 0)
            #expect(try Checksum(of: db) == Checksum(of: first + second))
        }

        /// The connection drops after COMMIT was sent and the commit went through: on reconnect fleetd
        /// reads the checkpoint and does not write that batch again.
        @Test func aCommitWhoseAnswerWasLostIsNotWrittenTwice() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            let pgPort = try #require(URLComponents(string: db.url)?.port)
            let proxy = try CommitDroppingProxy(targetPort: pgPort)
            defer { proxy.close() }
            let fleetd = FleetdProcess(database: db)
            fleetd.postgresURL = db.url.replacingOccurrences(of: ":\(pgPort)/", with: ":\(proxy.port)/")
            try fleetd.startReady()
            let first = Traffic.readings(count: 1_000, vehicles: 5, prefix: "ac")
            try Traffic.publish(first)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 1_000 })
            proxy.arm()
            var second = Traffic.readings(count: 2_000, vehicles: 5, prefix: "ac2")
            for i in 0..<10 { second.append(Traffic.Message(topic: "fleet/ac9/telemetry", payload: Array("broken \(i)".utf8))) }
            try Traffic.publish(second)
            #expect(eventually { proxy.commitsCut == 1 }, "the proxy must have cut a COMMIT")
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 3_000 })
            #expect(try eventually { try db.count("SELECT count(*) FROM rejected_messages") == 10 })
            #expect(eventually { fleetd.log.contains("not writing it again") }, "log:\n\(fleetd.log.suffix(2000))")
            #expect(fleetd.metric("fleetd_readings_duplicate_total") == 0, "nothing was written a second time")
            #expect(fleetd.terminate() == 0)
            #expect(try Checksum(of: db) == Checksum(of: first + second))
            #expect(try db.count("SELECT count(*) FROM rejected_messages") == 10)
        }

        @Test func aStopWithPostgresDownKeepsTheSpoolForTheNextStart() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db, extraArgs: ["--shutdown-timeout", "2s"])
            try fleetd.startReady()
            let outage = try PostgresOutage()
            let messages = Traffic.readings(count: 3_000, vehicles: 6, prefix: "st")
            try Traffic.publish(messages)
            #expect(eventually { fleetd.metric("fleetd_mqtt_messages_received_total") == 3_000 })
            let status = fleetd.terminate()
            #expect(status == 0, "a stop that times out is still an orderly stop")
            #expect(fleetd.log.contains("shutdown timeout reached"))
            try outage.end()
            #expect(try db.count("SELECT count(*) FROM readings") == 0)
            try fleetd.startReady()
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") >= 3_000 })
            #expect(fleetd.terminate() == 0)
            #expect(try Checksum(of: db) == Checksum(of: messages))
            #expect(fleetd.log.contains("replaying spooled messages not yet in PostgreSQL"))
        }

        /// The checkpoint row disagrees with the spool (a restored database, a lost spool tail): fleetd
        /// says so, resumes where the spool allows, and stores the next traffic once.
        @Test(arguments: [
            ("position + 1000000000", "checkpoint lies beyond the spool's head"),
            ("0", "checkpoint lies before the spool's released range"),
        ])
        func aCheckpointOutsideTheSpoolIsReportedAndSurvived(update: String, warning: String) throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let first = Traffic.readings(count: 2_000, vehicles: 4, prefix: "ck") + [Traffic.Message(topic: "fleet/ck0/fuel", payload: Array("junk".utf8))]
            try Traffic.publish(first)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 2_000 })
            #expect(fleetd.terminate() == 0)
            let conn = try db.connect()
            try conn.exec("UPDATE ingest_checkpoint SET position = \(update)")
            try conn.exec("UPDATE detector_checkpoint SET position = \(update)")
            try fleetd.startReady()
            #expect(eventually(timeout: .seconds(10)) { fleetd.log.contains(warning) }, "log:\n\(fleetd.log.suffix(2000))")
            let second = Traffic.readings(count: 2_000, vehicles: 4, prefix: "ck2")
            try Traffic.publish(second)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") >= 4_000 })
            #expect(fleetd.terminate() == 0)
            #expect(try Checksum(of: db) == Checksum(of: first + second))
            #expect(try db.count("SELECT count(*) FROM rejected_messages") == 1)
        }

        @Test func aDetectorSnapshotOutsideTheSpoolIsReportedAndDetectionGoesOn() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            try Traffic.publish(Traffic.readings(count: 500, vehicles: 2, prefix: "sn"))
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 500 })
            #expect(fleetd.terminate() == 0)
            try db.connect().exec("UPDATE detector_checkpoint SET position = position + 1000000000")
            try fleetd.startReady()
            #expect(eventually(timeout: .seconds(10)) { fleetd.log.contains("detector snapshot lies outside the spool") })
            try Traffic.publish(Traffic.readings(count: 500, vehicles: 2, prefix: "sn2"))
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 1_000 })
            #expect(fleetd.terminate() == 0)
        }
    }
}
