import FleetCore
import FleetSim
import Foundation
import Synchronization
import Testing

@testable import FleetIngest

/// Events out of PostgreSQL: `NOTIFY fleetd_events` for each committed event row, once, never for a
/// batch that rolled back; the `events` view numbering them in commit order; `fleetd events` printing
/// them, and following new ones within a second of their commit.
extension OnTheTestStack {
    @Suite struct EventFeedEndToEndTests {
        /// The same day heard two ways: NOTIFY (compact, in the transaction) and MQTT (the full JSON,
        /// after the commit), each exactly the committed events, once, none of a rolled-back batch.
        @Test func listenersOnPostgreSQLAndMQTTHearEachCommittedEventOnceAndNoneThatRolledBack() throws {
            let (sim, messages, readings) = AnalystSurfaceEndToEndTests.fleetDay()
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            try FleetSeeder.seed(sim, into: db.connect())
            // An operator's rule refuses drains: batches holding one roll back and are written again in
            // pieces, the drains kept in dead_letters. Their other events must be announced once.
            try db.connect().exec("ALTER TABLE fuel_transactions ADD CONSTRAINT no_drains_here CHECK (kind <> 'drain')")
            let listener = try db.connect()
            try listener.exec("LISTEN fleetd_events")
            var heard: [String] = []
            let prefix = "test-\(UUID().uuidString.prefix(8))/events"
            let subscriber = try EventSubscriber(port: TestStack.mqttPort!, prefix: prefix)
            let fleetd = FleetdProcess(database: db, extraArgs: ["--event-topic-prefix", prefix])
            try fleetd.startReady()
            try Traffic.publish(messages)
            let distinct = Set(readings.map(\.key)).count
            #expect(try eventually(timeout: .seconds(120)) {
                heard += try listener.notificationsWithPayloads().map(\.payload)
                return try db.count("SELECT count(*) FROM readings") == distinct
            })
            #expect(eventually { (fleetd.metric("fleetd_detector_vehicles_holding") ?? 1) == 0 })
            let events = try EventPublishEndToEndTests.stored(db)
            #expect(events.count > 50, "the day has events")
            #expect(eventually(timeout: .seconds(20)) { subscriber.messages.count >= events.count })
            #expect(eventually { fleetd.metric(#"fleetd_events_published_total{sink="mqtt"}"#) == Double(events.count) })
            #expect(fleetd.metric("fleetd_event_publish_lag") == 0)
            #expect(fleetd.terminate() == 0)

            let stored = try db.connect().exec("SELECT \"table\", id, seq, kind, vehicle_id, event->>'ts' FROM events ORDER BY seq")
            var rows: [String] = []
            for i in 0..<stored.rowCount { rows.append((0..<6).map { stored.string(i, $0) ?? "∅" }.joined(separator: "|")) }
            // One read of the socket takes what has arrived, not every notification queued behind it: read
            // until as many as the committed events are in (more would be a double, judged below).
            #expect(try eventually(timeout: .seconds(5)) {
                heard += try listener.notificationsWithPayloads().map(\.payload)
                return heard.count >= rows.count
            })
            var announced: [String] = []
            for payload in heard {
                guard let o = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else { continue }
                announced.append([o["table"] as? String, (o["id"] as? Int).map(String.init), (o["seq"] as? Int).map(String.init),
                                  o["kind"] as? String, o["vehicle_id"] as? String, o["ts"] as? String].map { $0 ?? "∅" }.joined(separator: "|"))
            }
            #expect(try db.count("SELECT count(*) FROM dead_letters WHERE source = 'event'") > 0, "drains were refused")
            #expect(Set(announced).count == announced.count, "each event announced once")
            #expect(announced.sorted() == rows.sorted(), "exactly the committed events: \(Set(announced).symmetricDifference(rows).prefix(3))")
            #expect(!announced.contains { $0.contains("|drain|") }, "a refused drain was never announced")

            let received = subscriber.messages
            #expect(Set(received.map(\.seq)) == Set(events.keys), "MQTT: exactly the committed events")
            #expect(received.count == events.count, "a clean run publishes each once")
            for m in received {
                guard let stored = events[m.seq] else { continue }
                #expect(NSDictionary(dictionary: m.json) == stored, "the payload is the events view's JSON: \(m.json)")
                #expect(m.topic == "\(prefix)/\(stored["kind"] as? String ?? "?")/\(stored["vehicle_id"] as? String ?? "?")")
            }
            #expect(try db.count("SELECT seq FROM event_publish_cursors WHERE sink = 'mqtt'") == events.keys.max()!,
                    "the cursor stored at the stop")
        }

        @Test func fleetdEventsPrintsTheFeedAndFollowsANewEventWithinASecond() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            let pg = try db.connect()
            try pg.exec("""
                INSERT INTO anomalies (vehicle_id, kind, ts, severity, value) VALUES
                    ('v1', 'gps_jump', now() - interval '2 hours', 'warning', 12), ('v2', 'odometer_jump', now() - interval '1 hour', 'warning', 500);
                INSERT INTO fuel_transactions (vehicle_id, kind, started_at, ended_at, volume_l) VALUES
                    ('v1', 'drain', now() - interval '30 minutes', now() - interval '20 minutes', 42.5);
                """)
            let all = try runFleetd(["events", "--postgres-url", db.url, "--since", "0"])
            let lines = all.stdout.split(separator: "\n")
            #expect(all.status == 0 && lines.count == 3, "\(all.stderr)")
            #expect(lines.last?.contains(#""volume_l": 42.5"#) == true && lines.last?.contains(#""kind": "drain""#) == true)
            let v1 = try runFleetd(["events", "--postgres-url", db.url, "--vehicle", "v1", "--since", "90m"])
            #expect(v1.stdout.split(separator: "\n").count == 1, "v1's events of the last 90 minutes: \(v1.stdout)")
            #expect(try runFleetd(["events", "--postgres-url", db.url, "--since", "yesterday"]).status != 0)

            // --follow: the latest one first, then each new event as it commits.
            let p = Process()
            p.executableURL = URL(fileURLWithPath: TestStack.fleetdBinary!)
            p.arguments = ["events", "--follow", "--last", "1", "--postgres-url", db.url]
            let out = Pipe()
            p.standardOutput = out
            let printed = Mutex<String>("")
            out.fileHandleForReading.readabilityHandler = { h in
                let d = h.availableData
                printed.withLock { $0 += String(decoding: d, as: UTF8.self) }
            }
            try p.run()
            defer { if p.isRunning { p.terminate() }; p.waitUntilExit() }
            #expect(eventually(timeout: .seconds(10)) { printed.withLock { $0.contains("42.5") } })
            // A commit as fleetd makes it: the row and its notification in one transaction.
            try pg.exec("""
                BEGIN;
                WITH ins AS (INSERT INTO anomalies (vehicle_id, kind, ts, severity) VALUES ('v3', 'clock_skew', now(), 'info') RETURNING event_seq, id)
                SELECT pg_notify('fleetd_events', json_build_object('seq', event_seq, 'id', id)::text) FROM ins;
                COMMIT;
                """)
            let committed = ContinuousClock.now
            #expect(eventually(timeout: .seconds(5)) { printed.withLock { $0.contains("clock_skew") } })
            let took = ContinuousClock.now - committed
            #expect(took < .seconds(1), "printed \(took) after the commit")
            #expect(printed.withLock { $0.split(separator: "\n").count } == 2, "the latest before, then the new one: \(printed.withLock { $0 })")
        }
    }
}
