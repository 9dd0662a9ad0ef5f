import FleetIngest
import Foundation
import Testing

/// Rows PostgreSQL refuses for good (an operator's constraint or trigger): the refused message goes to
/// `dead_letters` once, every other vehicle's data commits, and nothing is written twice afterwards.
extension OnTheTestStack {
    @Suite struct PoisonEndToEndTests {
        static func goodTraffic(vehicles: Int, each: Int, prefix: String) -> [Traffic.Message] {
            Traffic.readings(count: vehicles * each, vehicles: vehicles, prefix: prefix)
        }

        static func deadLetters(_ db: TestDatabase) throws -> [(topic: String, sqlstate: String, source: String)] {
            let r = try db.connect().exec("SELECT topic, coalesce(sqlstate, ''), source FROM dead_letters ORDER BY id")
            return (0..<r.rowCount).map { (r.string($0, 0) ?? "", r.string($0, 1) ?? "", r.string($0, 2) ?? "") }
        }

        @Test func aRejectionRowRefusedByAConstraintStopsNobody() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            try db.connect().exec("ALTER TABLE rejected_messages ADD CONSTRAINT no_poison CHECK (topic NOT LIKE 'fleet/poison%')")
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            var messages = Self.goodTraffic(vehicles: 50, each: 1, prefix: "cv")
            messages.insert(Traffic.Message(topic: "fleet/poison1/telemetry", payload: Array("not json".utf8)), at: 20)
            let started = ContinuousClock.now
            try Traffic.publish(messages)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 50 })
            print("50 good readings of 50 vehicles committed \(ContinuousClock.now - started) after publishing began, around a refused rejection row")
            #expect(try eventually { try Self.deadLetters(db).count == 1 })
            let dead = try Self.deadLetters(db)
            #expect(dead.first?.topic == "fleet/poison1/telemetry" && dead.first?.sqlstate == "23514" && dead.first?.source == "message")
            #expect(try db.count("SELECT count(*) FROM dead_letters WHERE payload = convert_to('not json', 'UTF8')") == 1)
            #expect(eventually { fleetd.metric(#"fleetd_dead_letters_total{sqlstate="23514"}"#) == 1 })
            #expect(fleetd.get("/readyz")?.status == 200)

            // The constraint dropped and fleetd restarted on the same spool: nothing comes back twice.
            try db.connect().exec("ALTER TABLE rejected_messages DROP CONSTRAINT no_poison")
            #expect(fleetd.terminate() == 0)
            try fleetd.startReady()
            try Traffic.publish([Traffic.Message(topic: "fleet/poison2/telemetry", payload: Array("still not json".utf8))])
            #expect(try eventually { try db.count("SELECT count(*) FROM rejected_messages") == 1 })
            #expect(fleetd.terminate() == 0)
            #expect(try Self.deadLetters(db).count == 1)
            #expect(try db.count("SELECT count(*) FROM readings") == 50)
        }

        @Test func aTriggerThatRaisesForOneVehicleDeadLettersOnlyItsMessages() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            try db.connect().exec("""
                CREATE FUNCTION refuse_bad1() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.vehicle_id = 'bad1' THEN RAISE EXCEPTION 'no readings from bad1'; END IF; RETURN NEW; END $$;
                CREATE TRIGGER refuse_bad1 BEFORE INSERT ON readings FOR EACH ROW EXECUTE FUNCTION refuse_bad1();
                """)
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let good = Self.goodTraffic(vehicles: 50, each: 20, prefix: "tv")
            let bad = Traffic.readings(count: 5, vehicles: 1, prefix: "bad")  // vehicle "bad0"… renamed below
                .map { Traffic.Message(topic: $0.topic.replacingOccurrences(of: "bad0", with: "bad1"), payload: $0.payload) }
            var messages = good
            for (i, m) in bad.enumerated() { messages.insert(m, at: 100 + i * 150) }
            try Traffic.publish(messages)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 1_000 })
            #expect(try eventually { try Self.deadLetters(db).count == 5 })
            #expect(try Self.deadLetters(db).allSatisfy { $0.topic == "fleet/bad1/telemetry" && $0.sqlstate == "P0001" })
            #expect(try db.count("SELECT count(*) FROM readings WHERE vehicle_id = 'bad1'") == 0)
            #expect(fleetd.terminate() == 0)
            #expect(try Checksum(of: db) == Checksum(of: good))
            // A restart replays nothing into dead_letters twice.
            try fleetd.startReady()
            #expect(fleetd.terminate() == 0)
            #expect(try Self.deadLetters(db).count == 5)
        }

        @Test func aRefusedEventRowGoesAsideAndItsReadingsCommit() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            try db.connect().exec("""
                CREATE FUNCTION refuse_fuel() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'fuel_transactions are read-only today'; END $$;
                CREATE TRIGGER refuse_fuel BEFORE INSERT ON fuel_transactions FOR EACH ROW EXECUTE FUNCTION refuse_fuel();
                """)
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let fill = OnTheTestStack.DetectionInputsEndToEndTests.parkedFill("ev1", from: 40, to: 240, startMs: 1_767_225_600_000, field: "fuel_l")
            try Traffic.publish(fill)
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == fill.count })
            #expect(try eventually { try Self.deadLetters(db).count == 1 })
            let dead = try Self.deadLetters(db)
            #expect(dead.first?.topic == "fuel_transactions" && dead.first?.source == "event" && dead.first?.sqlstate == "P0001")
            #expect(try db.count("SELECT count(*) FROM fuel_transactions") == 0)
            #expect(fleetd.terminate() == 0)
            try fleetd.startReady()
            #expect(fleetd.terminate() == 0)
            #expect(try Self.deadLetters(db).count == 1)
        }
    }
}
