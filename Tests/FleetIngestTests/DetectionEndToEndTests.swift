import FleetCore
import FleetIngest
import FleetSim
import Foundation
import Testing

/// Detection inside the running daemon: events written with their batch, exactly once across
/// kill -9, and operators' edits picked up while it runs.
extension OnTheTestStack {
    @Suite struct DetectionEndToEndTests {
        /// A realistic day of 30 vehicles, as fleet-sim publishes it, and its distinct readings.
        static func scenario() -> (FleetSimulation, [Traffic.Message], distinct: Int) {
            let config = NamedScenario.realistic.config(seed: 7, vehicles: 30, days: 1)
            let traffic = DetectionBench.traffic(config)
            let distinct = Set(traffic.readings.map(\.0.key)).count
            return (FleetSimulation(config: config), traffic.messages.map { Traffic.Message(topic: $0.topic, payload: $0.payload) }, distinct)
        }

        /// Every event row, all columns but the generated id, in a stable order.
        static func events(_ db: TestDatabase) throws -> [String] {
            let conn = try db.connect()
            var rows: [String] = []
            for sql in [
                "SELECT 'tx', vehicle_id, kind, started_at, ended_at, volume_l, level_before_l, level_after_l, odometer_km, lat, lon, distance_km, fuel_used_l, km_per_l FROM fuel_transactions",
                "SELECT 'an', vehicle_id, kind, ts, severity, value, expected, details::text FROM anomalies",
                "SELECT 'ma', vehicle_id, service, trigger, level, ts, odometer_km, due_odometer_km, due_at, due_engine_hours, plan_id, interval_key FROM maintenance_alerts",
            ] {
                let r = try conn.exec(sql)
                for i in 0..<r.rowCount {
                    rows.append((0..<r.columnCount).map { r.string(i, $0) ?? "∅" }.joined(separator: "|"))
                }
            }
            return rows.sorted()
        }

        /// Seeds the operator inputs, runs fleetd over the whole scenario (killing it with SIGKILL after
        /// each count of committed readings in `killAt`), and returns the events it wrote.
        static func run(_ sim: FleetSimulation, _ messages: [Traffic.Message], distinct: Int, killAt: [Int], holdingAtEnd: Int = 0) throws
            -> (events: [String], detected: [DetectedEvent], log: String) {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            try FleetSeeder.seed(sim, into: db.connect())
            // A long snapshot interval: snapshots come only from the first commit and the spool-size bound,
            // so every kill leaves committed batches after the snapshot that must be replayed.
            let fleetd = FleetdProcess(database: db, extraArgs: ["--snapshot-interval", "1h"])
            try fleetd.startReady()
            let publishing = Traffic.publishInBackground(messages)
            for n in killAt {
                #expect(try eventually { try db.count("SELECT count(*) FROM readings") >= n })
                fleetd.kill9()
                try fleetd.start()
            }
            #expect(publishing.finished(within: 180), "publisher: \(String(describing: publishing.error.error))")
            #expect(try eventually(timeout: .seconds(120)) { try db.count("SELECT count(*) FROM readings") == distinct })
            // Published far faster than real time, every reading arrives as a backlog and waits out the
            // reorder window (10 s of receiving time) before the idle clock releases it to the detectors.
            // A vehicle whose clock skipped ahead while parked until the very end holds what came after
            // the stall: nothing decides it yet (ClockWatch).
            #expect(eventually { (fleetd.metric("fleetd_detector_vehicles_holding") ?? 0) <= Double(holdingAtEnd) })
            #expect(fleetd.terminate() == 0)
            var notes: [String] = []
            let truthSpan = TruthFile(startMs: sim.config.startMs, endMs: sim.config.endMs, vehicleCount: sim.config.vehicles, events: [])
            let detected = try DetectedLoader.load(from: db.connect(), truth: truthSpan, notes: &notes)
            return (try events(db), detected, fleetd.log)
        }

        @Test func killMinus9DuringAScenarioDerivesIdenticalEvents() throws {
            let (sim, messages, distinct) = Self.scenario()
            let calm = try Self.run(sim, messages, distinct: distinct, killAt: [])
            let killed = try Self.run(sim, messages, distinct: distinct, killAt: [distinct / 4, distinct * 2 / 3])
            #expect(killed.log.contains("detectors rebuilt"), "a kill must leave committed batches to replay into the detectors")
            var kinds: [String: Int] = [:]
            for e in calm.events {
                let f = e.split(separator: "|")
                kinds[f[0] + ":" + (f[0] == "ma" ? f[4] : f[2]), default: 0] += 1
            }
            print("events of the scenario: \(kinds.sorted { $0.key < $1.key })")
            #expect(calm.events.contains { $0.hasPrefix("tx|") && $0.contains("|refuel|") }, "the scenario has refuels: \(kinds)")
            #expect(calm.events.contains { $0.hasPrefix("an|") }, "the scenario has anomalies")
            #expect(killed.events.count == calm.events.count)
            let missing = Set(calm.events).subtracting(killed.events)
            let extra = Set(killed.events).subtracting(calm.events)
            #expect(missing.isEmpty && extra.isEmpty, "lost: \(missing.sorted().prefix(5)) doubled or changed: \(extra.sorted().prefix(5))")

            // Not only equal to itself: the daemon's events scored against the truth, next to the
            // in-process evaluation of the same stream, so a uniformly wrong daemon (tank capacities or
            // plans not loaded, say) fails too.
            let inProcess = InProcessEvaluation(label: "same stream in-process", config: sim.config)
            var options = Scorer.Options()
            options.runEndMs = sim.config.endMs
            let daemon = Scorer.score(truth: inProcess.truth, detected: calm.detected.filter { $0.kind != "fuel_drain" }, options: options)
            print("daemon:\n" + daemon.table() + "\nin-process:\n" + inProcess.ours.table())
            let refuel = try #require(daemon.kind("refuel")), local = try #require(inProcess.ours.kind("refuel"))
            #expect(refuel.truth >= 10, "the scenario must have refuels to judge")
            #expect((refuel.precision ?? 0) >= 0.95 && (refuel.recall ?? 0) >= 0.9, "daemon refuels: \(refuel)")
            #expect((refuel.volumeMAPE ?? 100) <= 3, "daemon refuel volumes")
            #expect(abs(refuel.truePositives - local.truePositives) <= 1, "daemon \(refuel.truePositives) vs in-process \(local.truePositives) refuels found")
            #expect(refuel.duplicates == 0)
            let m = daemon.maintenance
            #expect(m.expected > 0 && m.matched == m.expected && m.unexpected == 0 && m.sameTrigger == m.matched, "daemon maintenance: \(m)")
            #expect(m.largestGapSeconds <= DetectionBar.maxMaintenanceDelaySeconds, "alerts at the reading that crossed, however fast the stream came")
            // Every drain transaction has its fuel_drain anomaly, one each.
            let drains = calm.detected.filter { $0.kind == "drain" }, mirrors = calm.detected.filter { $0.kind == "fuel_drain" }
            #expect(drains.count == mirrors.count)
        }

        /// The daemon fed a faulty fleet's day through MQTT as fast as it goes (device times long
        /// behind receipt, clock skews among them) finds what the detection stage finds fed live.
        @Test func aFastReplayThroughMQTTFindsWhatALiveStreamFinds() throws {
            let config = NamedScenario.faultySensors.config(seed: 2, vehicles: 30, days: 1)
            let traffic = DetectionBench.traffic(config)
            let distinct = Set(traffic.readings.map(\.0.key)).count
            let messages = traffic.messages.map { Traffic.Message(topic: $0.topic, payload: $0.payload) }
            let live = InProcessEvaluation(label: "live in-process", config: config, pace: .live)
            #expect(live.truth.filter { $0.kind == .clockSkew }.count >= 2, "the case must hold clock skews to judge")
            // A skew still on at the end of the run (within a parked unit's report interval of it),
            // begun while parked: received live, receipt flags it; received months later, nothing has
            // decided it yet, and what came after its stall is held.
            let openAtEnd = live.truth.filter { $0.kind == .clockSkew && $0.endMs >= config.endMs - 5 * 60_000 }
            let daemon = try Self.run(FleetSimulation(config: config), messages, distinct: distinct, killAt: [], holdingAtEnd: openAtEnd.count)
            let found = daemon.detected.filter { $0.kind != "fuel_drain" }
            let agreement = EventAgreement(live.detectedEvents, found, toleranceMs: EventAgreement.paceToleranceMs)
            print("daemon at full speed against in-process live: \(agreement.summary)")
            let undecided = agreement.onlyFirst.filter { e in openAtEnd.contains { $0.vehicle == e.vehicle && e.startMs >= $0.startMs } }
            #expect(agreement.onlySecond.isEmpty && agreement.onlyFirst.count == undecided.count, "\(agreement.summary)")
            #expect(agreement.paired > 50)
            let decided = live.truth.filter { t in !openAtEnd.contains { $0.vehicle == t.vehicle && t.startMs >= $0.startMs } }
            var options = Scorer.Options()
            options.runEndMs = config.endMs
            let score = Scorer.score(truth: decided, detected: found, options: options)
            print(score.table())
            for shortfall in DetectionBar.shortfalls(score, vehicleDays: 30) { Issue.record("daemon: \(shortfall)") }
        }

        @Test func operatorEditsTakeEffectWhileRunning() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let t0: Int64 = 1_767_225_600_000
            func reading(_ i: Int64, km: Double) -> Traffic.Message {
                let body = #"{"ts":\#(t0 + i * 1000),"odometer_km":\#(km),"engine_hours":100,"speed_kmh":40,"ignition":true}"#
                return Traffic.Message(topic: "fleet/ops1/telemetry", payload: Array(body.utf8))
            }
            try Traffic.publish([reading(0, km: 4_000)])
            let conn = try db.connect()
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 1 })
            // A plan with no service record yet counts from zero: at 4,000 km an interval of 3,000 is due soon
            // and overdue at once.
            var loads = try #require(fleetd.metric("fleetd_operator_inputs_loads_total"))
            try conn.exec("INSERT INTO maintenance_plans (vehicle_id, service, interval_km, notice_km) VALUES ('ops1', 'brakes', 3000, 200)")
            #expect(eventually { (fleetd.metric("fleetd_operator_inputs_loads_total") ?? 0) > loads })
            try Traffic.publish((1...20).map { reading($0, km: 4_000 + Double($0) * 0.01) })
            #expect(try eventually(timeout: .seconds(30)) { try db.count("SELECT count(*) FROM maintenance_alerts WHERE level = 'overdue'") == 1 })
            #expect(try db.count("SELECT count(*) FROM maintenance_alerts WHERE level = 'due_soon' AND interval_key = 0") == 1)
            // A service record opens a new interval: due again at 4,000 + 3,000, due soon from 6,800.
            loads = try #require(fleetd.metric("fleetd_operator_inputs_loads_total"))
            try conn.exec("INSERT INTO service_records (vehicle_id, service, odometer_km, performed_at) VALUES ('ops1', 'brakes', 4000, to_timestamp(\(t0 / 1000)))")
            #expect(eventually { (fleetd.metric("fleetd_operator_inputs_loads_total") ?? 0) > loads })
            // Driven there at a plausible speed (2,900 km in 50 h): maintenance ignores odometer jumps.
            try Traffic.publish((21...40).map { reading(50 * 3_600 + $0, km: 6_900 + Double($0) * 0.01) })
            #expect(try eventually(timeout: .seconds(30)) { try db.count("SELECT count(*) FROM maintenance_alerts WHERE level = 'due_soon'") == 2 })
            try Traffic.publish((41...60).map { reading(54 * 3_600 + $0, km: 7_100 + Double($0) * 0.01) })
            #expect(try eventually(timeout: .seconds(30)) { try db.count("SELECT count(*) FROM maintenance_alerts WHERE level = 'overdue'") == 2 })
            #expect(eventually { fleetd.metric("fleetd_detector_vehicles_holding") == 0 })
            #expect(fleetd.metric(#"fleetd_maintenance_alerts_total{level="overdue"}"#) == 2)
            #expect(fleetd.terminate() == 0)
            // Once per interval and level, however many readings lie past the mark.
            #expect(try db.count("SELECT count(*) FROM maintenance_alerts") == 4)
        }
    }
}
