import FleetCore
import FleetSim
import FleetTestSupport
import Foundation
import Testing

@testable import FleetIngest

/// Events out over MQTT: none is lost to a broker that refuses or a `kill -9`, and how soon one arrives.
/// (That each committed event arrives once, as the events view has it: EventFeedEndToEndTests.)
extension OnTheTestStack {
    @Suite struct EventPublishEndToEndTests {
        /// The events view's rows as seq → JSON object.
        static func stored(_ db: TestDatabase) throws -> [Int: NSDictionary] {
            let r = try db.connect().exec("SELECT seq, event::text FROM events ORDER BY seq")
            var out: [Int: NSDictionary] = [:]
            for i in 0..<r.rowCount {
                guard let seq = r.int(i, 0), let text = r.string(i, 1),
                      let o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary else { continue }
                out[Int(seq)] = o
            }
            return out
        }

        /// A broker whose ACL refuses fleetd's events, then fleetd killed: the events stay owed, counted
        /// as lag, and go out once the broker allows them and fleetd is back; a second `kill -9` right
        /// after new commits loses none either.
        @Test(.enabled(if: PrivateBroker.available)) func eventsNotAcknowledgedBeforeAKill9ArePublishedAfterTheRestart() throws {
            let dir = NSTemporaryDirectory() + "acl-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let acl = dir + "/acl"
            try "topic readwrite fleet/#\n".write(toFile: acl, atomically: true, encoding: .utf8)
            var broker: PrivateBroker? = try PrivateBroker(config: ["acl_file \(acl)"])
            let db = try TestDatabase()
            defer { db.drop() }
            var fleetd = FleetdProcess(database: db, mqttURL: "mqtt://127.0.0.1:\(broker!.port)")
            try fleetd.startReady()
            let pg = try db.connect()
            func commitAnomalies(_ count: Int, batch: Int) throws {
                try pg.exec("""
                    INSERT INTO anomalies (vehicle_id, kind, ts, severity, value)
                    SELECT 'v' || (g % 7), 'gps_jump', now() - g * interval '1 second', 'warning', \(batch) FROM generate_series(1, \(count)) g
                    """)
            }
            for b in 0..<4 { try commitAnomalies(50, batch: b) }
            #expect(eventually(timeout: .seconds(20)) { (fleetd.metric("fleetd_event_publish_refusals_total") ?? 0) > 0 })
            #expect(eventually(timeout: .seconds(20)) { fleetd.metric("fleetd_event_publish_lag") == 200 })
            fleetd.kill9()
            #expect(try db.count("SELECT seq FROM event_publish_cursors WHERE sink = 'mqtt'") == 0, "nothing acknowledged")

            // The broker's ACL fixed (a new broker: the test runner's children cannot be sent SIGHUP).
            broker = nil
            try "topic readwrite fleet/#\ntopic readwrite fleetd/events/#\n".write(toFile: acl, atomically: true, encoding: .utf8)
            broker = try PrivateBroker(config: ["acl_file \(acl)"])
            let subscriber = try EventSubscriber(port: Int(broker!.port), prefix: "fleetd/events")
            fleetd = FleetdProcess(database: db, mqttURL: "mqtt://127.0.0.1:\(broker!.port)")
            try fleetd.startReady()
            #expect(eventually(timeout: .seconds(20)) { Set(subscriber.messages.map(\.seq)).count == 200 })
            #expect(eventually(timeout: .seconds(10)) {
                (try? db.count("SELECT seq FROM event_publish_cursors WHERE sink = 'mqtt'")) == (try? db.count("SELECT max(seq) FROM events"))
            }, "the cursor follows the acknowledgements")

            // kill -9 right after commits: whatever was not acknowledged and stored goes out after the restart.
            try commitAnomalies(50, batch: 9)
            fleetd.kill9()
            try fleetd.startReady()
            let events = try Self.stored(db)
            #expect(events.count == 250)
            #expect(eventually(timeout: .seconds(20)) { Set(subscriber.messages.map(\.seq)) == Set(events.keys) }, "none missing")
            let received = subscriber.messages
            let repeats = received.count - Set(received.map(\.seq)).count
            #expect(repeats <= 50, "only what was in flight or acknowledged but not stored goes out again: \(repeats)")
            #expect(fleetd.terminate() == 0)
        }

        /// The figures the README reports: commit → subscriber, one event per commit, on the test stack.
        @Test func publishLatencyFromCommitToSubscriber() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let prefix = "test-\(UUID().uuidString.prefix(8))/events"
            let subscriber = try EventSubscriber(port: TestStack.mqttPort!, prefix: prefix)
            let fleetd = FleetdProcess(database: db, extraArgs: ["--event-topic-prefix", prefix])
            try fleetd.startReady()
            let pg = try db.connect()
            var committedAt: [Int: Double] = [:]
            for i in 0..<200 {
                // As fleetd commits an event: the row and its notification in one transaction.
                let r = try pg.exec("""
                    WITH ins AS (INSERT INTO anomalies (vehicle_id, kind, ts, severity, value) VALUES ('lat\(i % 5)', 'clock_skew', now(), 'info', \(i))
                                 RETURNING event_seq, id)
                    SELECT event_seq, pg_notify('fleetd_events', json_build_object('seq', event_seq)::text) FROM ins
                    """)
                committedAt[Int(r.int(0, 0)!)] = Date().timeIntervalSince1970
                usleep(UInt32.random(in: 2_000...20_000))
            }
            #expect(eventually(timeout: .seconds(20)) { subscriber.messages.count >= 200 })
            #expect(fleetd.terminate() == 0)
            let latencies = subscriber.messages.compactMap { m in committedAt[m.seq].map { (m.at - $0) * 1000 } }.sorted()
            #expect(latencies.count == 200)
            let p50 = latencies[latencies.count / 2], p99 = latencies[latencies.count * 99 / 100]
            print("event publish latency commit → subscriber: p50 \(String(format: "%.1f", p50)) ms, p99 \(String(format: "%.1f", p99)) ms (\(latencies.count) events)")
            #expect(p99 < 5_000, "an event waits for nothing but its notification")
        }
    }
}
