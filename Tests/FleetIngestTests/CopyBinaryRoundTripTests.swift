import FleetCore
import Testing

@testable import FleetIngest

/// Readings copied in binary into the real `readings` table read back as exactly the values sent:
/// every float8 bit for bit, float4 as the value rounded to single precision, times to the microsecond.
extension OnTheTestStack {
    @Suite struct CopyBinaryRoundTripTests {
        static let readings: [Reading] = [
            Reading(vehicleID: "v1", channel: .telemetry, ts: 1_700_000_000_123, seq: 7, fuelL: 0.1, fuelPct: 33.3,
                    odometerKm: 123_456.789, lat: -33.868_820_123_456_7, lon: 151.209_295, speedKmh: 88.8,
                    headingDeg: 359.99, ignition: true, engineHours: 1e-300),
            Reading(vehicleID: "truck-7.b_2", channel: .fuel, ts: -86_400_000, seq: .min + 1, fuelL: .leastNonzeroMagnitude, fuelPct: 105),
            Reading(vehicleID: "Zürich-1", channel: .gps, ts: 7_258_118_399_999, lat: 89.999_999_999, lon: -180,
                    speedKmh: 0, headingDeg: 0, ignition: false),
            Reading(vehicleID: "v1", channel: .odometer, ts: 1_700_000_000_124, seq: .max, odometerKm: 1.797_693_134_862_315_7e308),
        ]

        @Test func everyValueReadsBackAsSent() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let migrate = try runFleetd(["migrate", "--postgres-url", db.url])
            try #require(migrate.status == 0, "\(migrate.stderr)")
            var e = CopyBinaryEncoder()
            for (i, r) in Self.readings.enumerated() { e.readingRow(r, receivedAtNanos: 1_700_000_000_000_000_000 + Int64(i) * 1_001) }
            e.end()
            let pg = try db.connect()
            #expect(try pg.copyIn("COPY readings (\(CopyBinaryEncoder.readingColumns)) FROM STDIN (FORMAT binary)", bytes: e.bytes) == Self.readings.count)
            let rows = try pg.exec("""
                SELECT vehicle_id, channel, (extract(epoch FROM ts) * 1000)::bigint,
                       (extract(epoch FROM received_at) * 1000000)::bigint, seq,
                       fuel_l, fuel_pct::float8, odometer_km, lat, lon, speed_kmh::float8, heading_deg::float8,
                       ignition, engine_hours
                FROM readings ORDER BY received_at
                """)
            try #require(rows.rowCount == Self.readings.count)
            for (i, r) in Self.readings.enumerated() {
                #expect(rows.string(i, 0) == r.vehicleID && rows.string(i, 1) == r.channel.rawValue)
                #expect(rows.int(i, 2) == r.ts)
                #expect(rows.int(i, 3) == (1_700_000_000_000_000_000 + Int64(i) * 1_001) / 1_000)
                #expect(rows.int(i, 4) == r.seq)
                for (column, sent) in [(5, r.fuelL), (7, r.odometerKm), (8, r.lat), (9, r.lon), (13, r.engineHours)] {
                    #expect(rows.double(i, column) == sent, "row \(i) column \(column)")
                }
                for (column, sent) in [(6, r.fuelPct), (10, r.speedKmh), (11, r.headingDeg)] {
                    #expect(rows.double(i, column) == sent.map { Double(Float($0)) }, "row \(i) column \(column)")
                }
                #expect(rows.string(i, 12) == r.ignition.map { $0 ? "t" : "f" })
            }
        }
    }
}
