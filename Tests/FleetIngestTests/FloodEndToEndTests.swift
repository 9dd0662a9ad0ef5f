import Foundation
import Testing

@testable import FleetIngest

/// A broken or hostile unit that floods refusals: one row per message, a per-vehicle budget of rows
/// per minute with exact metrics beyond it, other vehicles untouched, and old rows trimmed.
extension OnTheTestStack {
    @Suite struct FloodEndToEndTests {
        @Test func aFloodOfEmptyObjectsCostsRowsWithinTheBudgetAndExactMetrics() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db, extraArgs: ["--reject-budget", "10"])
            try fleetd.startReady()
            // 50 messages of 1,000 empty objects (3 KB each, each message different: identical refusals
            // are stored once anyway) from one unit, good readings from others.
            var messages = (0..<50).map { i in
                let flood = "[{\"n\":\(i)}," + Array(repeating: "{}", count: 999).joined(separator: ",") + "]"
                return Traffic.Message(topic: "fleet/flooder/telemetry", payload: Array(flood.utf8))
            }
            messages += Traffic.readings(count: 500, vehicles: 5, prefix: "calm")
            try Traffic.publish(messages)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 500 })
            #expect(eventually { fleetd.metric("fleetd_rejections_over_budget_total") == 40 })
            let refused = try #require(fleetd.metric(#"fleetd_readings_rejected_total{reason="missing_ts"}"#))
            #expect(refused == 50_000, "every refused reading counts")
            #expect(fleetd.terminate() == 0)
            // Published within a minute or two: at most the budget per minute touched.
            let rows = try db.count("SELECT count(*) FROM rejected_messages WHERE topic = 'fleet/flooder/telemetry'")
            #expect(rows >= 10 && rows <= 20, "\(rows) rows")
            #expect(try db.count("SELECT min(readings_refused) FROM rejected_messages") == 1_000)
            #expect(try db.count("SELECT count(*) FROM rejected_messages WHERE reasons = '{missing_ts}'") == rows)
        }

        @Test func oldRefusalsAreTrimmedAndRecentOnesKept() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            let conn = try db.connect()
            try conn.exec("""
                INSERT INTO rejected_messages (received_at, topic, reason, detail)
                SELECT now() - interval '20 days' - g * interval '1 second', 'fleet/old/fuel', 'invalid_json', 'old ' || g
                FROM generate_series(1, 12000) g;
                INSERT INTO rejected_messages (received_at, topic, reason, detail)
                SELECT now() - interval '2 days', 'fleet/recent/fuel', 'invalid_json', 'recent ' || g FROM generate_series(1, 30) g;
                """)
            let fleetd = FleetdProcess(database: db, extraArgs: ["--rejected-retention", "14d"])
            try fleetd.startReady()
            #expect(try eventually(timeout: .seconds(40)) { try db.count("SELECT count(*) FROM rejected_messages WHERE topic = 'fleet/old/fuel'") == 0 })
            #expect(try db.count("SELECT count(*) FROM rejected_messages WHERE topic = 'fleet/recent/fuel'") == 30)
            #expect(fleetd.terminate() == 0)
            #expect(fleetd.log.contains("old rejected_messages rows deleted"))
        }
    }
}
