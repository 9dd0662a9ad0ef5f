import Foundation
import Testing

@testable import FleetIngest

/// `fleetd import-purchases` on exports as people get them, against a real PostgreSQL: every
/// refused line named with its number and reason, the rest stored once however often the file comes.
extension OnTheTestStack {
    @Suite struct PurchaseImportEndToEndTests {
        static func write(_ text: String, bytes: [UInt8]? = nil) throws -> String {
            let path = NSTemporaryDirectory() + "purchases-\(UUID().uuidString.prefix(8)).csv"
            try Data(bytes ?? Array(text.utf8)).write(to: URL(fileURLWithPath: path))
            return path
        }

        @Test func aEuropeanExportGoesInOnceWithEveryRefusedLineNamed() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            // ;-separated, decimal commas, a date and a time column, local time in Berlin, a BOM.
            let csv = """
                \u{FEFF}Transaktion;Karte;Fahrzeug;Datum;Uhrzeit;Menge;Betrag;Währung;Tankstelle;Breite;Länge
                T-1;C9;TRUCK-1;29.11.2026;14:03;312,40;1.543,21;EUR;Aral Berlin;52,52;13,40
                T-2;C9;TRUCK-1;30.11.2026;08:15:10;45,5;;EUR;"Shell; Potsdam";;
                T-3;C9;TRUCK 2;30.11.2026;09:00;40;;EUR;;;
                T-4;C9;TRUCK-2;31.11.2026;09:00;40;;EUR;;;
                T-5;C9;TRUCK-2;30.11.2026;09:00;-40;;EUR;;;

                T-2;C9;TRUCK-1;30.11.2026;08:15:10;45,5;;EUR;;;
                T-6;C8;TRUCK-3;30.11.2026;10:00;1.200;2.000;EUR;;;
                """
            let path = try Self.write(csv)
            let args = ["import-purchases", path, "--postgres-url", db.url, "--column", "external_ref=Transaktion", "--column", "card_id=Karte",
                        "--column", "vehicle_id=Fahrzeug", "--column", "volume_l=Menge", "--column", "amount=Betrag", "--column", "currency=Währung",
                        "--column", "station=Tankstelle", "--column", "lat=Breite", "--column", "lon=Länge", "--time-zone", "Europe/Berlin"]
            // Date and time have German names the aliases do not know: the header is refused, nothing stored.
            let noTime = try runFleetd(args)
            #expect(noTime.status == 2 && noTime.stderr.contains("purchased_at") && noTime.stderr.contains("--column"), "\(noTime.stderr)")
            let csvEnglishTime = csv.replacingOccurrences(of: "Datum;Uhrzeit", with: "Date;Time")
            let path2 = try Self.write(csvEnglishTime)
            var args2 = args
            args2[1] = path2

            let dry = try runFleetd(args2 + ["--dry-run"])
            #expect(dry.status == 1 && dry.stdout.contains("would insert 3") && dry.stdout.contains("dry run"), "\(dry.stdout)\(dry.stderr)")
            #expect(try db.count("SELECT count(*) FROM fuel_purchases") == 0, "a dry run stores nothing")

            let first = try runFleetd(args2)
            #expect(first.status == 1, "some lines were refused")
            let refused = first.stderr.split(separator: "\n").map(String.init)
            #expect(refused.count == 4, "\(first.stderr)")
            #expect(refused.contains { $0.hasPrefix("line 4: vehicle_id:") })
            #expect(refused.contains { $0.hasPrefix("line 5: purchased_at:") }, "31 November")
            #expect(refused.contains { $0.hasPrefix("line 6: volume_l:") })
            #expect(refused.contains { $0.hasPrefix("line 8: external_ref:") && $0.contains("line 3") }, "T-2 twice in one file")
            #expect(first.stdout.contains("inserted 3") && first.stdout.contains("refused 4") && first.stdout.contains("delimiter ';'"), "\(first.stdout)")

            let pg = try db.connect()
            let r = try pg.exec("""
                SELECT external_ref, vehicle_id, to_char(purchased_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), volume_l, amount::text, currency,
                       station, lat, lon, card_id FROM fuel_purchases ORDER BY external_ref
                """)
            var rows: [String] = []
            for i in 0..<r.rowCount { rows.append((0..<10).map { r.string(i, $0) ?? "∅" }.joined(separator: "|")) }
            #expect(rows == [
                "T-1|TRUCK-1|2026-11-29 13:03:00|312.4|1543.21|EUR|Aral Berlin|52.52|13.4|C9",
                "T-2|TRUCK-1|2026-11-30 07:15:10|45.5|∅|EUR|Shell; Potsdam|∅|∅|C9",
                "T-6|TRUCK-3|2026-11-30 09:00:00|1200|2000|EUR|∅|∅|∅|C8",
            ], "Berlin is UTC+1 in winter; 1.200 with a decimal comma is twelve hundred")

            // The same file again: nothing new. A corrected line: updated, and only that one.
            let again = try runFleetd(args2)
            #expect(again.stdout.contains("inserted 0") && again.stdout.contains("updated 0") && again.stdout.contains("already stored 3"), "\(again.stdout)")
            let corrected = try Self.write(csvEnglishTime.replacingOccurrences(of: "312,40;1.543,21", with: "312,40;1.499,99"))
            var args3 = args
            args3[1] = corrected
            let third = try runFleetd(args3)
            #expect(third.stdout.contains("inserted 0") && third.stdout.contains("updated 1") && third.stdout.contains("already stored 2"), "\(third.stdout)")
            #expect(try db.count("SELECT count(*) FROM fuel_purchases") == 3)
            #expect(try pg.exec("SELECT amount::text FROM fuel_purchases WHERE external_ref = 'T-1'").string(0, 0) == "1499.99")
        }

        /// A rule the importer does not know (an operator's constraint) refuses one line: that line is
        /// named with PostgreSQL's reason and the others are stored. Lines without a reference are known
        /// by vehicle, time and volume.
        @Test func aLineTheTableRefusesIsNamedAndTheRestGoIn() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            try db.connect().exec("ALTER TABLE fuel_purchases ADD CONSTRAINT no_blocked_cards CHECK (card_id IS DISTINCT FROM 'BLOCKED')")
            let path = try Self.write("""
                vehicle_id,purchased_at,volume_l,card_id
                v1,2026-11-29T10:00:00Z,50.5,OK1
                v2,2026-11-29T11:00:00Z,60,BLOCKED
                v3,2026-11-29T12:00:00+02:00,70.25,OK3
                """)
            let run = try runFleetd(["import-purchases", path, "--postgres-url", db.url])
            #expect(run.status == 1 && run.stderr.contains("line 3: fuel_purchases:") && run.stderr.contains("no_blocked_cards"), "\(run.stderr)")
            #expect(run.stdout.contains("inserted 2"), "\(run.stdout)")
            #expect(try db.count("SELECT count(*) FROM fuel_purchases WHERE vehicle_id IN ('v1', 'v3')") == 2)
            let again = try runFleetd(["import-purchases", path, "--postgres-url", db.url])
            #expect(again.stdout.contains("inserted 0") && again.stdout.contains("already stored 2"), "\(again.stdout)")
            #expect(try db.count("SELECT count(*) FROM fuel_purchases") == 2)
        }

        @Test func aFileThatCannotBeReadStoresNothingAndSaysWhy() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            #expect(try runFleetd(["migrate", "--postgres-url", db.url]).status == 0)
            // Windows-1252: "Müller" with ü as 0xFC, after a good line.
            let latin1 = Array("vehicle,timestamp,litres,station\nv1,2026-11-29 10:00,50,ok\nv2,2026-11-29 11:00,60,M".utf8) + [0xFC] + Array("ller\n".utf8)
            let run = try runFleetd(["import-purchases", try Self.write("", bytes: latin1), "--postgres-url", db.url])
            #expect(run.status == 2 && run.stderr.contains("UTF-8") && run.stderr.contains("nothing was imported"), "\(run.stderr)")
            let missing = try runFleetd(["import-purchases", "/nonexistent/cards.csv", "--postgres-url", db.url])
            #expect(missing.status == 2 && missing.stderr.contains("cannot open"), "\(missing.stderr)")
            #expect(try db.count("SELECT count(*) FROM fuel_purchases") == 0)
        }
    }
}
