import FleetCore
import FleetSim
import Foundation
import Testing

@testable import FleetIngest

/// fleetd holds fuel card purchases against the refuels it measured: each purchase decided once
/// (matched, short, no_refuel, unverifiable), shortfalls and purchases without a fill raised as
/// anomalies into the event feed, an operator's edit decided again.
extension OnTheTestStack {
    @Suite struct PurchaseReconcilerEndToEndTests {
        @Test func purchasesAreDecidedAgainstTheMeasuredRefuels() throws {
            let (sim, messages, readings) = AnalystSurfaceEndToEndTests.fleetDay()
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            try FleetSeeder.seed(sim, into: db.connect())
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            try Traffic.publish(messages)
            let distinct = Set(readings.map(\.key)).count
            #expect(try eventually(timeout: .seconds(120)) { try db.count("SELECT count(*) FROM readings") == distinct })
            #expect(eventually { (fleetd.metric("fleetd_detector_vehicles_holding") ?? 1) == 0 })
            #expect(fleetd.terminate() == 0)

            // Purchases made from what fleetd measured: honest ones 5 minutes after each fill ended, one
            // in four paying for a third more than went in, a card used at noon of a stop-free hour, a
            // vehicle without any data.
            let pg = try db.connect()
            let refuels = try pg.exec("""
                SELECT id, vehicle_id, to_char((ended_at + interval '5 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), volume_l
                FROM fuel_transactions t WHERE kind = 'refuel'
                  -- Fills whose two hours after are in: a later one waits for its vehicle's next readings.
                  AND ended_at + interval '2 hours 10 minutes' <= (SELECT fuel_at FROM vehicle_status s WHERE s.vehicle_id = t.vehicle_id)
                ORDER BY id
                """)
            #expect(refuels.rowCount >= 8, "the day has refuels")
            var csv = "external_ref,vehicle_id,purchased_at,volume_l\n"
            var expected: [String: String] = [:]
            for i in 0..<refuels.rowCount {
                let ref = "R\(refuels.string(i, 0)!)"
                let short = i % 4 == 0
                let volume = refuels.double(i, 3)! * (short ? 4.0 / 3 : 1.002)
                csv += "\(ref),\(refuels.string(i, 1)!),\(refuels.string(i, 2)!),\(String(format: "%.2f", volume))\n"
                expected[ref] = short ? "short" : "matched"
            }
            // An hour of driving with readings all around it and no fill: a card used for someone else.
            let driving = try pg.exec("""
                SELECT r.vehicle_id, to_char(r.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM readings r
                WHERE r.speed_kmh > 40 AND r.fuel_l IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM fuel_transactions t WHERE t.vehicle_id = r.vehicle_id AND t.kind = 'refuel'
                                  AND t.started_at < r.ts + interval '2 hours' AND t.ended_at > r.ts - interval '2 hours')
                ORDER BY r.vehicle_id, r.ts LIMIT 1
                """)
            #expect(driving.rowCount == 1)
            csv += "NOFILL,\(driving.string(0, 0)!),\(driving.string(0, 1)!),250\n"
            expected["NOFILL"] = "no_refuel"
            // A vehicle that never sent anything: decided once its data had 48 hours to come.
            let longAgo = Timestamp.formatRFC3339(ms: Int64(Date().timeIntervalSince1970 * 1000) - 72 * 3_600_000)
            csv += "NODATA,ghost-truck,\(longAgo),250\n"
            expected["NODATA"] = "unverifiable"
            let path = NSTemporaryDirectory() + "cards-\(UUID().uuidString.prefix(6)).csv"
            try csv.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try runFleetd(["import-purchases", path, "--postgres-url", db.url]).status == 0)

            // The first round runs as fleetd starts: every purchase's data is in (the day is over).
            try fleetd.startReady()
            #expect(eventually(timeout: .seconds(30)) { (try? db.count("SELECT count(*) FROM fuel_purchase_checks")) == expected.count })
            let checks = try pg.exec("""
                SELECT p.external_ref, c.status, c.refuel_id, c.missing_l FROM fuel_purchase_checks c JOIN fuel_purchases p ON p.id = c.purchase_id
                """)
            var got: [String: String] = [:]
            for i in 0..<checks.rowCount { got[checks.string(i, 0)!] = checks.string(i, 1)! }
            #expect(got == expected)
            for i in 0..<checks.rowCount where checks.string(i, 1) == "matched" || checks.string(i, 1) == "short" {
                #expect("R\(checks.string(i, 2) ?? "?")" == checks.string(i, 0), "matched to its own refuel")
            }
            let shortCount = expected.values.filter { $0 == "short" }.count
            #expect(try db.count("SELECT count(*) FROM anomalies WHERE kind = 'fuel_purchase_short'") == shortCount)
            #expect(try db.count("SELECT count(*) FROM anomalies WHERE kind = 'fuel_purchase_no_refuel'") == 1)
            #expect(try db.count("SELECT count(*) FROM events WHERE kind LIKE 'fuel_purchase%'") == shortCount + 1, "in the event feed")

            // An operator corrects a purchase: decided again, once.
            try pg.exec("UPDATE fuel_purchases SET volume_l = volume_l * 4 / 3 WHERE external_ref = 'R\(refuels.string(1, 0)!)'")
            #expect(fleetd.terminate() == 0)
            try fleetd.startReady()
            #expect(eventually(timeout: .seconds(30)) {
                (try? pg.exec("SELECT c.status FROM fuel_purchase_checks c JOIN fuel_purchases p ON p.id = c.purchase_id WHERE p.external_ref = 'R\(refuels.string(1, 0)!)'").string(0, 0)) == "short"
            })
            #expect(try db.count("SELECT count(*) FROM fuel_purchase_checks") == expected.count)
            #expect(fleetd.terminate() == 0)
        }
    }
}
