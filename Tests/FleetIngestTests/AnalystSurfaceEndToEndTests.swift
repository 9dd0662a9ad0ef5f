import FleetCore
import FleetSim
import Foundation
import LibPQ
import Testing
@testable import FleetIngest

/// What analysts read, on a simulated fleet's last day as fleetd wrote it in small batches:
/// `vehicle_status` and `vehicle_days` equal the readings folded by device time, `maintenance_due`
/// does the alerts' arithmetic, everything carries a comment, and every question in README's
/// "Querying fleetd" runs and answers.
extension OnTheTestStack {
    @Suite struct AnalystSurfaceEndToEndTests {
        /// Yesterday (UTC) of 30 vehicles in drain-stress, with dropouts and GPS jumps 25× as often as in
        /// the field: thefts to map and anomalies to mark. A whole UTC day, so the same day's data whatever
        /// the hour the suite runs.
        static func fleetDay() -> (FleetSimulation, [Traffic.Message], readings: [Reading]) {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let start = (now / 86_400_000 - 1) * 86_400_000
            var config = EvaluationCase.drainStress.config(seed: 5, vehicles: 30, days: 1, startMs: start)
            config.faults.fuelDropout = 0.5
            config.faults.gpsJump = 0.25
            let traffic = DetectionBench.traffic(config)
            return (FleetSimulation(config: config), traffic.messages.map { Traffic.Message(topic: $0.topic, payload: $0.payload) },
                    traffic.readings.map(\.0))
        }

        /// README's questions: each ```sql block of the "Querying fleetd" section.
        static func readmeQueries() throws -> [String] {
            let readme = try String(contentsOfFile: TestStack.repoRoot + "/README.md", encoding: .utf8)
            guard let start = readme.range(of: "\n## Querying fleetd\n") else { throw TestFailure("README has no Querying fleetd section") }
            let section = readme[start.upperBound...]
            let body = section.range(of: "\n## ").map { section[..<$0.lowerBound] } ?? section
            return body.components(separatedBy: "```sql\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        }

        @Test func aLateReadingInALaterBatchDoesNotOverwriteTheStatus() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db, extraArgs: ["--detection", "off"])
            try fleetd.startReady()
            let t = Int64(Date().timeIntervalSince1970 * 1000) / 1000 * 1000 - 3_600_000
            func send(_ channel: String, _ ts: Int64, _ fields: String, committed: Int) throws {
                try Traffic.publish([Traffic.Message(topic: "fleet/late1/\(channel)", payload: Array(#"{"ts":\#(ts),\#(fields)}"#.utf8))])
                #expect(try eventually { try db.count("SELECT count(*) FROM readings") == committed })
            }
            try db.connect().exec("INSERT INTO vehicles (vehicle_id, tank_capacity_l) VALUES ('late1', 200)")
            try send("fuel", t + 120_000, #""fuel_pct":40"#, committed: 1)
            try send("fuel", t + 60_000, #""fuel_l":95"#, committed: 2)       // older: stored, not the status
            try send("odometer", t + 30_000, #""odometer_km":1000.5"#, committed: 3)  // older but the only one
            try send("gps", t + 180_000, #""lat":52.1,"lon":4.3,"speed_kmh":30"#, committed: 4)
            try send("fuel", t + 1_000, #""fuel_l":150"#, committed: 5)        // oldest of the day
            let r = try db.connect().exec("""
                SELECT fuel_l, fuel_pct, \(PGConnection.epochMilliseconds("fuel_at")), odometer_km, lat, \(PGConnection.epochMilliseconds("last_seen_at"))
                FROM vehicle_status WHERE vehicle_id = 'late1'
                """)
            try #require(r.rowCount == 1)
            #expect(r.double(0, 0) == 80 && r.double(0, 1) == 40 && r.int(0, 2) == t + 120_000, "the newest level, in litres from the tank")
            #expect(r.double(0, 3) == 1000.5 && r.double(0, 4) == 52.1 && r.int(0, 5) == t + 180_000)
            let d = try db.connect().exec("SELECT fuel_first_l, fuel_last_pct FROM vehicle_days WHERE vehicle_id = 'late1'")
            if (t + 1_000) / 86_400_000 == (t + 120_000) / 86_400_000 {
                #expect(d.rowCount == 1 && d.double(0, 0) == 150 && d.double(0, 1) == 40)
            }
            #expect(fleetd.terminate() == 0)
        }

        /// Every SQL text of the fuel dashboard: panels, annotations, variables.
        static func dashboardQueries() throws -> [String] {
            let data = try Data(contentsOf: URL(fileURLWithPath: TestStack.repoRoot + "/deploy/grafana/fleetd-fuel-dashboard.json"))
            guard let dash = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw TestFailure("dashboard is not an object") }
            var out: [String] = []
            for panel in dash["panels"] as? [[String: Any]] ?? [] {
                for t in panel["targets"] as? [[String: Any]] ?? [] { if let sql = t["rawSql"] as? String { out.append(sql) } }
            }
            for a in (dash["annotations"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] {
                if let sql = (a["target"] as? [String: Any])?["rawSql"] as? String { out.append(sql) }
            }
            for v in (dash["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? [] where v["type"] as? String == "query" {
                if let sql = v["query"] as? String { out.append(sql) }
            }
            return out
        }

        /// Grafana's PostgreSQL macros, as its documentation defines them, for a time range and a `$vehicle`.
        static func substituteMacros(_ sql: String, from: String, to: String, vehicle: String) -> String {
            sql.replacing(/\$__timeFilter\(([^)]+)\)/) { m in "\(m.1) BETWEEN '\(from)' AND '\(to)'" }
                .replacingOccurrences(of: "$__timeFrom()", with: "'\(from)'")
                .replacingOccurrences(of: "$__timeTo()", with: "'\(to)'")
                .replacingOccurrences(of: "$vehicle", with: vehicle)
        }

        @Test func analystTablesViewsAndReadmeQuestionsAnswerFromAFleetsDay() throws {
            let (sim, messages, readings) = Self.fleetDay()
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            try FleetSeeder.seed(sim, into: db.connect())
            // Small batches: the tables must merge across batch cuts as the fold does.
            let fleetd = FleetdProcess(database: db, extraArgs: ["--batch-size", "97"])
            try fleetd.startReady()
            try Traffic.publish(messages)
            let distinct = Set(readings.map(\.key)).count
            #expect(try eventually(timeout: .seconds(120)) { try db.count("SELECT count(*) FROM readings") == distinct })
            #expect(eventually { (fleetd.metric("fleetd_detector_vehicles_holding") ?? 1) == 0 }, "events written")
            let pg = try db.connect()

            // vehicle_status and vehicle_days: the readings folded by device time, written within seconds
            // (with the snapshot that follows an idle stream).
            var expected = FleetStatus()
            for r in readings { expected.add(r, receivedAtNanos: 0) }
            let newest = expected.vehicles.values.map(\.lastSeen).max() ?? 0
            #expect(try eventually(timeout: .seconds(30)) {
                try db.count("SELECT count(*) FROM vehicle_status WHERE last_seen_at = to_timestamp(\(newest) / 1000.0)") == 1
                    && db.count("SELECT count(*) FROM vehicle_status") == expected.vehicles.count
            })
            let status = try pg.exec("""
                SELECT vehicle_id, \(PGConnection.epochMilliseconds("last_seen_at")), \(PGConnection.epochMilliseconds("odometer_at")), odometer_km,
                       \(PGConnection.epochMilliseconds("position_at")), lat, lon, \(PGConnection.epochMilliseconds("fuel_at")), fuel_l, fuel_pct
                FROM vehicle_status ORDER BY vehicle_id
                """)
            #expect(status.rowCount == expected.vehicles.count)
            for i in 0..<status.rowCount {
                guard let id = status.string(i, 0), let v = expected.vehicles[id] else { Issue.record("unexpected vehicle"); continue }
                #expect(status.int(i, 1) == v.lastSeen)
                #expect(status.int(i, 2) == v.odometerKm?.ts && status.double(i, 3) == v.odometerKm?.value)
                #expect(status.int(i, 4) == v.position?.ts && status.double(i, 5) == v.position?.value.lat && status.double(i, 6) == v.position?.value.lon)
                #expect(status.int(i, 7) == v.fuel?.ts)
                if let litres = v.fuel?.value.litres { #expect(status.double(i, 8) == litres) }
                #expect(status.double(i, 8) != nil && status.double(i, 9) != nil, "litres and percent, one from the tank")
            }
            let days = try pg.exec("""
                SELECT vehicle_id, (day - DATE '1970-01-01'), odometer_min_km, odometer_max_km,
                       \(PGConnection.epochMilliseconds("fuel_first_at")), \(PGConnection.epochMilliseconds("fuel_last_at")), \(PGConnection.epochMilliseconds("last_at"))
                FROM vehicle_days
                """)
            #expect(days.rowCount == expected.days.count)
            for i in 0..<days.rowCount {
                guard let id = days.string(i, 0), let d = days.int(i, 1),
                      let day = expected.days[VehicleDay.Key(vehicleID: id, day: d)] else { Issue.record("unexpected day"); continue }
                #expect(days.double(i, 2) == day.odometerKm?.lowerBound && days.double(i, 3) == day.odometerKm?.upperBound)
                #expect(days.int(i, 4) == day.firstFuel?.ts && days.int(i, 5) == day.lastFuel?.ts && days.int(i, 6) == day.last)
            }

            // maintenance_due's due values are the alerts' for the same interval.
            let alerts = try db.count("SELECT count(*) FROM maintenance_alerts")
            let mismatches = try pg.exec("""
                SELECT a.vehicle_id, a.service, a.due_odometer_km, d.due_odometer_km, a.due_at, d.due_at
                FROM maintenance_alerts a JOIN maintenance_due d ON d.vehicle_id = a.vehicle_id AND d.plan_id = a.plan_id
                WHERE a.interval_key = coalesce((SELECT id FROM service_records r WHERE r.vehicle_id = a.vehicle_id AND r.service = a.service
                                                 ORDER BY performed_at DESC, id DESC LIMIT 1), 0)
                  AND (a.due_odometer_km IS DISTINCT FROM d.due_odometer_km OR a.due_at IS DISTINCT FROM d.due_at
                       OR a.due_engine_hours IS DISTINCT FROM d.due_engine_hours)
                """)
            #expect(alerts > 0, "the day raises maintenance alerts to compare with")
            #expect(mismatches.rowCount == 0, "first: \((0..<min(1, mismatches.rowCount)).map { i in (0..<6).map { mismatches.string(i, $0) ?? "∅" } })")
            #expect(try db.count("SELECT count(*) FROM maintenance_due") > 0)

            // Every table, view and column says what it is (partitions take the parent's word).
            let silent = try pg.exec("""
                SELECT c.relname, a.attname FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
                LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
                  AND (obj_description(c.oid, 'pg_class') IS NULL OR col_description(c.oid, a.attnum) IS NULL)
                ORDER BY 1, 2
                """)
            #expect(silent.rowCount == 0, "without a comment: \((0..<silent.rowCount).map { "\(silent.string($0, 0) ?? "").\(silent.string($0, 1) ?? "")" })")

            // README's questions, as printed there.
            let queries = try Self.readmeQueries()
            #expect(queries.count == 10)
            for q in queries {
                let rows = try pg.exec(q).rowCount
                print("README query: \(rows) rows: \(q.split(separator: "\n").first ?? "")")
                #expect(rows > 0, "no rows from README's query:\n\(q)")
            }

            // The fuel dashboard: each query, macros substituted for the last two days, answers (a query of
            // one vehicle for some vehicle of the fleet: not every vehicle had a theft).
            let dashboard = try Self.dashboardQueries()
            #expect(dashboard.count >= 9)
            let vehicles = try pg.exec("SELECT vehicle_id FROM vehicle_status ORDER BY vehicle_id")
            let ids = (0..<vehicles.rowCount).compactMap { vehicles.string($0, 0) }
            let from = Timestamp.formatRFC3339(ms: Int64(Date().timeIntervalSince1970 * 1000) - 2 * 86_400_000)
            let to = Timestamp.formatRFC3339(ms: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
            for q in dashboard {
                var rows = 0
                for id in q.contains("$vehicle") ? ids : [ids[0]] {
                    rows = try pg.exec(Self.substituteMacros(q, from: from, to: to, vehicle: id)).rowCount
                    if rows > 0 { break }
                }
                print("dashboard query: \(rows) rows: \(q.split(separator: "\n").first ?? "")")
                #expect(rows > 0, "no rows from the dashboard's query:\n\(q)")
            }
            #expect(fleetd.terminate() == 0)
        }
    }
}
