import FleetCore
import FleetIngest

/// Integer sums over every reading's values: equal for the published messages and the stored rows
/// only when no reading was lost, doubled or altered. Values are scaled to integers (fuel to 0.01 L,
/// odometer to 0.001 km) so the sums are exact on both sides.
struct Checksum: Equatable, CustomStringConvertible {
    var rows = 0
    var tsMs: Int64 = 0
    var seq: Int64 = 0
    var fuelCentilitres: Int64 = 0
    var odometerMetres: Int64 = 0
    var vehicleBytes: Int64 = 0

    var description: String {
        "\(rows) rows, Σts \(tsMs), Σseq \(seq), Σfuel \(fuelCentilitres) cL, Σodometer \(odometerMetres) m, Σvehicle id bytes \(vehicleBytes)"
    }

    /// The readings the messages carry, decoded as fleetd decodes them; each distinct key once.
    init(of messages: [Traffic.Message]) {
        let decoder = PayloadDecoder()
        var seen = Set<ReadingKey>()
        for m in messages {
            for r in decoder.decode(topic: m.topic, payload: m.payload).readings where seen.insert(r.key).inserted {
                rows += 1
                tsMs &+= r.ts
                seq &+= r.seq ?? 0
                fuelCentilitres &+= Int64(((r.fuelL ?? 0) * 100).rounded())
                odometerMetres &+= Int64(((r.odometerKm ?? 0) * 1000).rounded())
                vehicleBytes &+= Int64(r.vehicleID.utf8.reduce(0) { $0 + Int($1) })
            }
        }
    }

    /// The same sums over the `readings` table.
    init(of db: TestDatabase) throws {
        let r = try db.connect().exec("""
            SELECT count(*), sum((extract(epoch FROM ts) * 1000)::bigint), coalesce(sum(seq), 0),
                   coalesce(sum(round(fuel_l * 100)::bigint), 0), coalesce(sum(round(odometer_km * 1000)::bigint), 0),
                   (SELECT coalesce(sum(b), 0) FROM (SELECT get_byte(convert_to(vehicle_id, 'UTF8'), i) AS b
                        FROM readings, generate_series(0, octet_length(vehicle_id) - 1) AS i) AS bytes)
            FROM readings
            """)
        rows = Int(r.int(0, 0) ?? -1)
        tsMs = r.int(0, 1) ?? -1
        seq = r.int(0, 2) ?? -1
        fuelCentilitres = r.int(0, 3) ?? -1
        odometerMetres = r.int(0, 4) ?? -1
        vehicleBytes = r.int(0, 5) ?? -1
    }
}
