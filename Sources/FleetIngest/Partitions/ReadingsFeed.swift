import FleetCore
import LibPQ

/// Readings read back in commit order, for the owner of some partitions when several fleetd instances
/// share detection. Ingest instances commit concurrently, so neither arrival order nor a sequence gives
/// an order in which nothing committed later can slip behind what was already read: a batch that took
/// its transaction id first may commit last. Reading by transaction id, but only below the oldest
/// transaction still running (`pg_snapshot_xmin`), does: every transaction below it has ended, so no
/// row can appear there after it was read.
enum ReadingsFeed {
    /// Where a reader has got to: the last row it scanned, in (transaction, vehicle, channel, device time) order.
    struct Cursor: Sendable, Equatable, Codable {
        var xid: UInt64
        var vehicleID: String
        var channel: String
        var tsMs: Int64
    }

    struct Row: Sendable, Equatable {
        var reading: Reading
        var receivedAtMs: Int64
    }

    /// Up to `limit` rows after `cursor` (from the first when nil) of ended transactions, in commit order;
    /// of those, the readings of vehicles in `partitions`. The cursor returned is the last row scanned
    /// (nil when there was none): rows of other partitions are passed over, not read again.
    static func read(_ db: PGConnection, after cursor: Cursor?, limit: Int, scheme: PartitionScheme,
                     partitions: Set<Int>) throws(PGError) -> (rows: [Row], scanned: Cursor?) {
        let columns = """
            xid::text, vehicle_id, channel, \(PGConnection.epochMilliseconds("ts")), \(PGConnection.epochMilliseconds("received_at")), \
            seq, fuel_l, fuel_pct, odometer_km, lat, lon, speed_kmh, heading_deg, ignition, engine_hours
            """
        let ended = "xid IS NOT NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())"
        let order = "ORDER BY xid, vehicle_id, channel, ts LIMIT \(max(1, limit))"
        let r: PGResult
        if let c = cursor {
            r = try db.exec("""
                SELECT \(columns) FROM readings
                WHERE \(ended) AND (xid, vehicle_id, channel, ts) > ($1::xid8, $2, $3, \(PGConnection.timestamp(epochMillisecondsParameter: "$4")))
                \(order)
                """, [String(c.xid), c.vehicleID, c.channel, String(c.tsMs)])
        } else {
            r = try db.exec("SELECT \(columns) FROM readings WHERE \(ended) \(order)")
        }
        var rows: [Row] = []
        var scanned: Cursor?
        for i in 0..<r.rowCount {
            guard let xid = r.string(i, 0).flatMap(UInt64.init), let vehicle = r.string(i, 1), let channelText = r.string(i, 2),
                  let ts = r.int(i, 3) else { continue }
            scanned = Cursor(xid: xid, vehicleID: vehicle, channel: channelText, tsMs: ts)
            guard partitions.contains(scheme.partition(of: vehicle)), let channel = Channel(rawValue: channelText) else { continue }
            var reading = Reading(vehicleID: vehicle, channel: channel, ts: ts, seq: r.int(i, 5))
            reading.fuelL = r.double(i, 6)
            reading.fuelPct = r.double(i, 7)
            reading.odometerKm = r.double(i, 8)
            reading.lat = r.double(i, 9)
            reading.lon = r.double(i, 10)
            reading.speedKmh = r.double(i, 11)
            reading.headingDeg = r.double(i, 12)
            reading.ignition = r.string(i, 13).map { $0 == "t" }
            reading.engineHours = r.double(i, 14)
            rows.append(Row(reading: reading, receivedAtMs: r.int(i, 4) ?? ts))
        }
        return (rows, scanned)
    }
}
