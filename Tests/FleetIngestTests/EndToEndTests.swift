import FleetIngest
import FleetMigrations
import Foundation
import Testing

/// fleetd as users run it: the real binary between a real mosquitto and a real PostgreSQL.
/// Serialized: they share the broker and one test stops PostgreSQL.
extension OnTheTestStack {
    @Suite struct EndToEndTests {
        @Test func everyReadingOfAQoS1StreamIsStoredExactlyOnce() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let messages = Traffic.readings(count: 20_000, vehicles: 25)
            try Traffic.publish(messages)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") >= 20_000 })
            #expect(fleetd.metric("fleetd_readings_accepted_total") == 20_000)
            #expect(fleetd.metric("fleetd_mqtt_messages_received_total") == 20_000)
            // After a graceful stop nothing more can be written: the counts are final.
            #expect(fleetd.terminate() == 0)
            #expect(try db.count("SELECT count(*) FROM readings") == 20_000)
            #expect(try Checksum(of: db) == Checksum(of: messages))
            #expect(try db.count("SELECT count(DISTINCT vehicle_id) FROM readings") == 25)
            #expect(try db.count("SELECT count(*) FROM vehicles") == 25)
            #expect(try db.count("SELECT count(*) FROM rejected_messages") == 0)
        }

        @Test func readingsPublishedTwiceAreStoredOnce() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let messages = Traffic.readings(count: 5_000, vehicles: 10)
            try Traffic.publish(messages)
            try Traffic.publish(messages)
            // Also as a store-and-forward array repeating readings already sent one by one.
            let sameTopic = messages.filter { $0.topic == messages[0].topic }.prefix(100)
            let replay = "[" + sameTopic.map { String(decoding: $0.payload, as: UTF8.self) }.joined(separator: ",") + "]"
            try Traffic.publish([Traffic.Message(topic: messages[0].topic, payload: Array(replay.utf8))])
            #expect(eventually { fleetd.metric("fleetd_readings_accepted_total") == 10_100 })
            #expect(try db.count("SELECT count(*) FROM readings") == 5_000)
            #expect(fleetd.metric("fleetd_readings_duplicate_total") == 5_100)
            // New readings right after duplicates go through the staging table: they carry their
            // transaction too (detection shared by several instances reads them back by it).
            try Traffic.publish(Traffic.readings(count: 500, vehicles: 10, prefix: "new"))
            #expect(eventually { (try? db.count("SELECT count(*) FROM readings")) == 5_500 })
            #expect(try db.count("SELECT count(*) FROM readings WHERE xid IS NULL") == 0)
            #expect(fleetd.terminate() == 0)
        }

        @Test func killMinus9MidStreamLosesAndDoublesNothing() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            // Batches commit at 10,000 rows only (or after a minute), so the kill finds messages that
            // were received, spooled and acknowledged to the broker but that no commit covers: only the
            // spool has them.
            let fleetd = FleetdProcess(database: db, extraArgs: ["--batch-delay", "60s", "--batch-size", "10000"])
            try fleetd.startReady()
            var messages = Traffic.readings(count: 30_000, vehicles: 40)
            // Malformed messages among them: their rejected_messages rows must not double on replay either.
            let malformed = 60
            for i in 0..<malformed {
                messages.insert(Traffic.Message(topic: "fleet/broken\(i % 3)/telemetry", payload: Array("not json \(i)".utf8)), at: i * 500 + 250)
            }
            let publishing = Traffic.publishInBackground(messages)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") >= 10_000 })
            let received = try #require(fleetd.metric("fleetd_mqtt_messages_received_total"))
            fleetd.kill9()
            let committedAtKill = try db.count("SELECT (SELECT count(*) FROM readings) + (SELECT count(*) FROM rejected_messages)")
            #expect(Double(committedAtKill) < received, "the kill must leave received messages that only the spool holds")
            // Back with the default batching on the same spool and session.
            fleetd.extraArgs = []
            try fleetd.startReady()
            #expect(publishing.finished(within: 120), "publisher: \(String(describing: publishing.error.error))")
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") >= 30_000 })
            #expect(try eventually { try db.count("SELECT count(*) FROM rejected_messages") >= malformed })
            // A graceful stop commits whatever is left; after it nothing more can arrive, so the counts are final.
            #expect(fleetd.terminate() == 0)
            #expect(try db.count("SELECT count(*) FROM readings") == 30_000)
            #expect(try db.count("SELECT count(*) FROM rejected_messages") == malformed)
            #expect(fleetd.log.contains("replaying spooled messages not yet in PostgreSQL"), "the restart must replay the spool")
            // Every stored value as published: sums over all readings catch a lost, doubled or altered row.
            #expect(try Checksum(of: db) == Checksum(of: messages))
            #expect(committedAtKill < 30_000, "the kill must land mid-stream")
        }

        @Test func postgresOutageIsBridgedByTheSpool() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let first = Traffic.readings(count: 3_000, vehicles: 10, prefix: "a")
            try Traffic.publish(first)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 3_000 })

            let outage = try PostgresOutage()
            let outageStart = ContinuousClock.now
            var sawUnready = false
            let during = Traffic.readings(count: 6_000, vehicles: 10, prefix: "b")
            try Traffic.publish(during)
            while ContinuousClock.now - outageStart < .seconds(20) {
                if let r = fleetd.get("/readyz"), r.status == 503, r.body.contains("\"postgres\"") { sawUnready = true }
                guard fleetd.isRunning else {
                    Issue.record("fleetd exited during the PostgreSQL outage; log:\n\(fleetd.log.suffix(3000))")
                    break
                }
                usleep(500_000)
            }
            #expect(fleetd.get("/healthz")?.status == 200)
            #expect((fleetd.metric("fleetd_spool_used_bytes") ?? 0) > 0, "the outage's readings wait in the spool")
            try outage.end()

            #expect(sawUnready, "/readyz must answer 503 naming postgres during the outage")
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") >= 9_000 })
            #expect(eventually { fleetd.get("/readyz")?.status == 200 })
            #expect(fleetd.terminate() == 0)
            #expect(try Checksum(of: db) == Checksum(of: first + during))
        }

        @Test func brokerRestartIsBridgedByThePersistentSession() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            try Traffic.publish(Traffic.readings(count: 2_000, vehicles: 8, prefix: "c"))
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 2_000 })

            try TestStack.stack("stack_stop_mosquitto")
            #expect(eventually(timeout: .seconds(10)) {
                guard let r = fleetd.get("/readyz") else { return false }
                return r.status == 503 && r.body.contains("\"mqtt\"")
            })
            #expect(fleetd.isRunning)
            try TestStack.stack("stack_resume_mosquitto")
            #expect(eventually(timeout: .seconds(60)) { fleetd.get("/readyz")?.status == 200 })
            try Traffic.publish(Traffic.readings(count: 2_000, vehicles: 8, prefix: "d"))
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 4_000 })
            #expect(fleetd.log.contains("reconnected to MQTT broker"))
            #expect(fleetd.metric("fleetd_mqtt_connects_total") == 2)
            #expect(fleetd.terminate() == 0)
        }

        @Test func unitsPublishingThroughABrokerRestartLoseNothing() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let messages = Traffic.readings(count: 20_000, vehicles: 10, prefix: "br")
            let publishing = Traffic.publishInBackground(messages, throughOutages: true)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") >= 2_000 })
            // Down mid-stream: what the broker acknowledged but has not delivered waits in its
            // persistent store for fleetd's session; units retry until it is back.
            try TestStack.stack("stack_stop_mosquitto")
            #expect(eventually(timeout: .seconds(10)) { fleetd.failingChecks?.contains("mqtt") == true })
            try TestStack.stack("stack_resume_mosquitto")
            #expect(publishing.finished(within: 150), "publisher: \(String(describing: publishing.error.error))")
            #expect(try eventually(timeout: .seconds(90)) { try db.count("SELECT count(*) FROM readings") >= 20_000 })
            #expect(fleetd.terminate() == 0)
            #expect(try Checksum(of: db) == Checksum(of: messages))
            #expect(fleetd.log.contains("reconnected to MQTT broker"))
        }

        @Test func mqttsWithAPrivateCA() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let url = "mqtts://127.0.0.1:\(try #require(TestStack.mqttsPort))"
            // Without the CA the broker's certificate is not trusted: not ready, but alive and saying why.
            let untrusted = FleetdProcess(database: db, mqttURL: url)
            try untrusted.start()
            #expect(eventually(timeout: .seconds(15)) { untrusted.log.contains("certificate verify failed") })
            #expect(untrusted.isRunning)
            #expect(untrusted.get("/readyz")?.status == 503)
            untrusted.terminate()

            let fleetd = FleetdProcess(database: db, mqttURL: url, extraArgs: ["--mqtt-ca-file", try #require(TestStack.mqttCA)])
            try fleetd.startReady()
            try Traffic.publish(Traffic.readings(count: 1_000, vehicles: 4, prefix: "tls"))
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 1_000 })
            #expect(fleetd.terminate() == 0)
        }

        @Test func malformedMessagesAreRejectedWithReasonsAndCounted() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            // Subscribed wider than the default so a wrong channel reaches fleetd at all.
            let fleetd = FleetdProcess(database: db, extraArgs: ["--max-payload-bytes", "4096", "--mqtt-topics", "fleet/#"])
            try fleetd.startReady()
            let bad: [(String, String, String)] = [
                ("fleet/v1/telemetry", "not json", "invalid_json"),
                ("fleet/v1/telemetry", #"{"fuel_l":5}"#, "missing_ts"),
                ("fleet/v1/telemetry", #"{"ts":"soon","fuel_l":5}"#, "bad_timestamp"),
                ("fleet/v1/telemetry", #"{"ts":1700000000000,"fuel_l":"5"}"#, "wrong_type"),
                ("fleet/v1/telemetry", #"{"ts":1700000000000,"vehicle_id":"v2","fuel_l":5}"#, "vehicle_mismatch"),
                ("fleet/v1/telemetry", #"{"ts":1700000000000}"#, "no_measurement"),
                ("fleet/v1/telemetry", "[]", "empty_array"),
                ("fleet/v1/telemetry", #"{"ts":1700000000000,"fuel_l":5,"pad":""# + String(repeating: "x", count: 5000) + #""}"#, "too_large"),
                ("fleet/v1/brakes", #"{"ts":1700000000000,"fuel_l":5}"#, "bad_topic"),
            ]
            var messages = bad.map { Traffic.Message(topic: $0.0, payload: Array($0.1.utf8)) }
            // An array with good and bad readings: the good ones are kept.
            messages.append(Traffic.Message(topic: "fleet/v1/fuel", payload: Array(#"[{"ts":1700000000000,"fuel_l":5},{"fuel_l":6},{"ts":1700000001000,"fuel_l":7}]"#.utf8)))
            try Traffic.publish(messages)
            #expect(try eventually { try db.count("SELECT count(*) FROM rejected_messages") >= 10 })
            let conn = try db.connect()
            let rows = try conn.exec("SELECT reason, topic, length(payload) FROM rejected_messages ORDER BY id")
            var reasons: [String: Int] = [:]
            for i in 0..<rows.rowCount { reasons[rows.string(i, 0)!, default: 0] += 1 }
            for (_, _, reason) in bad { #expect(reasons[reason] != nil, "missing \(reason)") }
            #expect(reasons["missing_ts"] == 2)
            #expect(try db.count("SELECT max(length(payload)) FROM rejected_messages") <= 4096)
            #expect(try db.count("SELECT count(*) FROM readings") == 2)
            #expect(eventually { fleetd.metric(#"fleetd_readings_rejected_total{reason="missing_ts"}"#) == 2 })
            #expect(fleetd.metric(#"fleetd_readings_rejected_total{reason="bad_topic"}"#) == 1)
            #expect(fleetd.metric(#"fleetd_readings_rejected_total{reason="too_large"}"#) == 1)
            #expect(fleetd.isRunning)
            #expect(fleetd.terminate() == 0)
        }

        @Test func metricsPassPromtoolAfterRealTraffic() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            var messages = Traffic.readings(count: 500, vehicles: 5)
            messages.append(Traffic.Message(topic: "fleet/v1/fuel", payload: Array("nope".utf8)))
            try Traffic.publish(messages)
            #expect(eventually { fleetd.metric("fleetd_readings_accepted_total") == 500 })
            let body = try #require(fleetd.get("/metrics")?.body)
            for name in ["fleetd_mqtt_messages_received_total", "fleetd_readings_accepted_total", "fleetd_readings_rejected_total",
                         "fleetd_readings_duplicate_total", "fleetd_readings_late_total", "fleetd_rows_written_total",
                         "fleetd_fuel_transactions_total", "fleetd_anomalies_total", "fleetd_maintenance_alerts_total",
                         "fleetd_batch_commit_seconds", "fleetd_ingest_latency_seconds", "fleetd_spool_used_bytes",
                         "fleetd_spool_capacity_bytes", "fleetd_mqtt_connected", "fleetd_postgres_connected",
                         "fleetd_vehicles_tracked", "fleetd_build_info", "process_cpu_seconds_total", "process_resident_memory_bytes"] {
                #expect(body.contains("# HELP \(name) "), "\(name) is missing or has no HELP")
            }
            let check = try runTool("promtool", ["check", "metrics"], stdin: Array(body.utf8))
            #expect(check.status == 0, "promtool: \(check.output)")
            #expect(fleetd.terminate() == 0)
        }

        @Test func jsonLogsAreOneObjectPerLine() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let secret = NSTemporaryDirectory() + "fleetd-pw-\(UUID().uuidString)"
            try "s3cret\n".write(toFile: secret, atomically: true, encoding: .utf8)
            defer { unlink(secret) }
            let fleetd = FleetdProcess(database: db, extraArgs: ["--log-format", "json", "--mqtt-password-file", secret, "--mqtt-username", "u"])
            try fleetd.startReady()
            #expect(fleetd.terminate() == 0)
            let lines = fleetd.log.split(separator: "\n")
            #expect(lines.count >= 4)
            for line in lines {
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["level"] != nil && object?["msg"] != nil, "not a JSON log line: \(line)")
            }
            #expect(fleetd.log.contains("\"mqtt_password\":\"<hidden>\""))
            #expect(!fleetd.log.contains("s3cret"))
        }

        @Test func sigtermCommitsWhatIsSpooledAndExitsZero() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            // No batch is due for a minute: only the shutdown drain can commit these readings.
            let fleetd = FleetdProcess(database: db, extraArgs: ["--batch-delay", "60s", "--batch-size", "100000"])
            try fleetd.startReady()
            let messages = Traffic.readings(count: 2_000, vehicles: 5)
            try Traffic.publish(messages)
            #expect(eventually(timeout: .seconds(30)) { fleetd.metric("fleetd_mqtt_messages_received_total") == 2_000 })
            #expect(try db.count("SELECT count(*) FROM readings") == 0, "nothing may be committed before the drain")
            #expect(fleetd.terminate() == 0)
            #expect(try db.count("SELECT count(*) FROM readings") == 2_000)
            #expect(try Checksum(of: db) == Checksum(of: messages))
            #expect(fleetd.log.contains("pipeline stopped"))
        }

        @Test func migrationsAreIdempotentAndSafeFromTwoProcessesAtOnce() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let results = ResultList()
            let group = DispatchGroup()
            let url = db.url
            for _ in 0..<2 {
                group.enter()
                Thread {
                    results.append((try? runFleetd(["migrate", "--postgres-url", url]))?.status ?? -1)
                    group.leave()
                }.start()
            }
            group.wait()
            #expect(results.values == [0, 0])
            let again = try runFleetd(["migrate", "--postgres-url", db.url])
            #expect(again.status == 0)
            #expect(again.stdout.contains("up to date"))
            #expect(try db.count("SELECT count(*) FROM schema_migrations") == Migrations.all.count)
            for table in ["readings", "fuel_transactions", "anomalies", "maintenance_alerts", "rejected_messages", "vehicles",
                          "maintenance_plans", "service_records", "vehicle_state", "detector_checkpoint", "detector_ticks"] {
                #expect(try db.count("SELECT count(*) FROM information_schema.tables WHERE table_name = '\(table)'") == 1, "\(table)")
            }
        }

        @Test func aBadSettingExitsWithCode2AndOneLineNamingIt() throws {
            let flag = try runFleetd(["run", "--batch-size", "lots"])
            #expect(flag.status == 2)
            #expect(flag.stderr.split(separator: "\n").count == 1)
            #expect(flag.stderr.contains("batch-size") && flag.stderr.contains("FLEETD_BATCH_SIZE"))
            let env = try runFleetd(["run"], environment: ["FLEETD_MQTT_URL": "http://broker"])
            #expect(env.status == 2)
            #expect(env.stderr.contains("mqtt-url"))
            let shared = try runFleetd(["run", "--mqtt-topics", "$share/g/fleet/+/telemetry"])
            #expect(shared.status == 2 && shared.stderr.split(separator: "\n").count == 1 && shared.stderr.contains("$share"))
            let version = try runFleetd(["--version"])
            #expect(version.status == 0 && !version.stdout.isEmpty)
        }
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    var error: (any Error)? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

final class ResultList: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int32] = []
    func append(_ v: Int32) { lock.withLock { stored.append(v) } }
    var values: [Int32] { lock.withLock { stored } }
}
