import Foundation
import Testing

/// fleetd's text is UTF-8 end to end: a database in another encoding is refused by `migrate` with a
/// line that says how to create it, and a payload with invalid UTF-8 is refused `invalid_json`.
extension OnTheTestStack {
    @Suite struct EncodingEndToEndTests {
        @Test func migrateRefusesADatabaseThatIsNotUTF8() throws {
            let db = try TestDatabase(encoding: "SQL_ASCII")
            defer { db.drop() }
            let r = try runFleetd(["migrate", "--postgres-url", db.url])
            #expect(r.status != 0)
            let said = r.stdout + r.stderr
            #expect(said.contains("encoding SQL_ASCII") && said.contains("ENCODING 'UTF8'"), "\(said)")
            #expect(try db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'readings'") == 0, "nothing was created")
        }

        @Test func aPayloadWithInvalidUTF8IsRefusedAndTheRestKept() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let bad = Array(#"{"ts":1700000000000,"fuel_l":5,"note":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
            try Traffic.publish([Traffic.Message(topic: "fleet/enc1/telemetry", payload: bad)]
                + [Traffic.Message(topic: "fleet/enc1/telemetry", payload: Array(#"{"ts":1700000001000,"fuel_l":6,"note":"Zürich"}"#.utf8))])
            #expect(try eventually { try db.count("SELECT count(*) FROM rejected_messages") == 1 && db.count("SELECT count(*) FROM readings") == 1 })
            #expect(try db.count("SELECT count(*) FROM rejected_messages WHERE reason = 'invalid_json' AND payload = '\\x7b227473223a313730303030303030303030302c226675656c5f6c223a352c226e6f7465223a22c328227d'::bytea") == 1,
                    "the refused bytes are kept as they came")
            #expect(fleetd.terminate() == 0)
        }
    }
}
