import FleetCore
import Foundation
import Testing

/// What detection takes from outside the stream, end to end: the operators' `vehicles` rows, the
/// reorder window's verdict on late readings, and `--detection off`.
extension OnTheTestStack {
    @Suite struct DetectionInputsEndToEndTests {
        static let t0: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

        /// A parked vehicle (ignition off, odometer still) reporting its level every 30 s, in `field`
        /// (`fuel_pct` or `fuel_l`): 15 minutes at `from`, a 2-minute fill, 15 minutes at `to`.
        static func parkedFill(_ vehicle: String, from: Double, to: Double, startMs: Int64, field: String = "fuel_pct") -> [Traffic.Message] {
            var levels = [Double](repeating: from, count: 30)
            for i in 1...4 { levels.append(from + (to - from) * Double(i) / 4) }
            levels += [Double](repeating: to, count: 30)
            return levels.enumerated().map { i, level in
                let body = #"{"ts":\#(startMs + Int64(i) * 30_000),"\#(field)":\#(level),"odometer_km":12000,"speed_kmh":0,"ignition":false}"#
                return Traffic.Message(topic: "fleet/\(vehicle)/telemetry", payload: Array(body.utf8))
            }
        }

        static func refuels(_ db: TestDatabase, _ vehicle: String) throws -> [Double] {
            let r = try db.connect().exec("SELECT volume_l FROM fuel_transactions WHERE vehicle_id = '\(vehicle)' AND kind = 'refuel' ORDER BY started_at")
            return (0..<r.rowCount).compactMap { r.double($0, 0) }
        }

        @Test func tankCapacityAndPerVehicleThresholdsComeFromVehicles() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            let conn = try db.connect()
            // cap1: percentages become litres with its capacity. thr1: a fill of 200 L is below its own minimum.
            try conn.exec("INSERT INTO vehicles (vehicle_id, tank_capacity_l) VALUES ('cap1', 400)")
            try conn.exec("INSERT INTO vehicles (vehicle_id, tank_capacity_l, fuel_refuel_min_l) VALUES ('thr1', 400, 250)")
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            try Traffic.publish(Self.parkedFill("cap1", from: 10, to: 60, startMs: Self.t0) + Self.parkedFill("thr1", from: 10, to: 60, startMs: Self.t0))
            #expect(try eventually { try Self.refuels(db, "cap1").count == 1 })
            let cap = try Self.refuels(db, "cap1")
            #expect(cap.count == 1 && abs((cap.first ?? 0) - 200) <= 4, "50 % of a 400 L tank: \(cap)")

            // Lift thr1's minimum while fleetd runs; its next fill (60 → 95 %, 140 L) is reported.
            let loads = try #require(fleetd.metric("fleetd_operator_inputs_loads_total"))
            try conn.exec("UPDATE vehicles SET fuel_refuel_min_l = NULL WHERE vehicle_id = 'thr1'")
            #expect(eventually { (fleetd.metric("fleetd_operator_inputs_loads_total") ?? 0) > loads }, "the edit must be read")
            try Traffic.publish(Self.parkedFill("thr1", from: 60, to: 95, startMs: Self.t0 + 3_600_000))
            #expect(try eventually { try Self.refuels(db, "thr1").count >= 1 })
            #expect(fleetd.terminate() == 0)
            let thr = try Self.refuels(db, "thr1")
            #expect(thr.count == 1 && abs((thr.first ?? 0) - 140) <= 4, "only the fill after the edit: \(thr)")
            #expect(try Self.refuels(db, "cap1").count == 1)
        }

        @Test func lateReadingsAreStoredAndCountedButNotDetectedOn() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            // A live unit (device time = now): a reading is released to the detectors once a newer one
            // is the window (10 s) ahead of it.
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            func reading(_ ts: Int64, _ fuel: Double) -> Traffic.Message {
                let body = #"{"ts":\#(ts),"fuel_l":\#(fuel),"odometer_km":500,"ignition":false}"#
                return Traffic.Message(topic: "fleet/late1/telemetry", payload: Array(body.utf8))
            }
            try Traffic.publish((0..<30).map { reading(now + Int64($0) * 1000, 100) })
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 30 })
            // Released through now + 19 s by now: a reading from now + 5.5 s is too late to detect on.
            try Traffic.publish([reading(now + 5_500, 40)])
            #expect(eventually { fleetd.metric("fleetd_readings_late_total") == 1 })
            #expect(try db.count("SELECT count(*) FROM readings") == 31, "late readings are stored all the same")
            #expect(fleetd.terminate() == 0)
            // 100 → 40 → 100 L would be a theft and a refuel if the late reading had reached the detectors.
            #expect(try db.count("SELECT count(*) FROM fuel_transactions") == 0)
            #expect(try db.count("SELECT count(*) FROM anomalies") == 0)
        }

        @Test func detectionOffStoresReadingsAndDerivesNothing() throws {
            var counts: [String: Int] = [:]
            for mode in ["on", "off"] {
                let db = try TestDatabase()
                defer { db.drop() }
                let fleetd = FleetdProcess(database: db, extraArgs: ["--detection", mode])
                try fleetd.startReady()
                let messages = Self.parkedFill("off1", from: 40, to: 240, startMs: Self.t0, field: "fuel_l")
                try Traffic.publish(messages)
                #expect(try eventually { try db.count("SELECT count(*) FROM readings") == messages.count })
                if mode == "on" {
                    #expect(try eventually { try db.count("SELECT count(*) FROM fuel_transactions") == 1 })
                }
                // A graceful stop writes the detectors' final snapshot, if there are detectors.
                #expect(fleetd.terminate() == 0)
                counts[mode] = try db.count("""
                    SELECT (SELECT count(*) FROM fuel_transactions) + (SELECT count(*) FROM anomalies)
                         + (SELECT count(*) FROM maintenance_alerts) + (SELECT count(*) FROM vehicle_state)
                         + (SELECT count(*) FROM detector_checkpoint)
                    """)
            }
            #expect((counts["on"] ?? 0) >= 3, "with detection the fill, the vehicle's state and its checkpoint are stored: \(counts)")
            #expect(counts["off"] == 0, "detection off writes no event and no detector state: \(counts)")
        }
    }
}
