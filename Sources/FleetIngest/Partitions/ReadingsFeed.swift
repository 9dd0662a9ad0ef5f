import FleetCore
import LibPQ

/// Readings read back in commit order, for the owner of some partitions when several fleetd instances
/// share detection. Ingest instances commit concurrently, so neither arrival order nor a sequence gives
/// an order in which nothing committed later can slip behind what was already read: a batch that took
/// its transaction id first may commit last. Reading by transaction id, but only below the oldest
/// transaction still running (`pg_snapshot_xmin`), does: every transaction below it has ended, so no
/// row can appear there after it was read.
enum ReadingsFeed {
    /// Where a reader has got to: the last row it scanned, in (transaction, receipt time, vehicle,
    /// channel, device time) order, text compared byte by byte (`COLLATE "C"`, whatever the database's
    /// collation): a reader compares positions itself when its partitions stand at different ones.
    struct Cursor: Sendable, Equatable, Comparable, Codable {
        var xid: UInt64
        var receivedAtMicros: Int64
        var vehicleID: String
        var channel: String
        var tsMs: Int64

        /// Before every row: where a partition never read starts when the feed was empty.
        static let origin = Cursor(xid: 0, receivedAtMicros: 0, vehicleID: "", channel: "", tsMs: 0)

        /// The row's place in receipt order.
        var receipt: ReceiptKey { ReceiptKey(receivedAtMicros: receivedAtMicros, vehicleID: vehicleID, channel: channel, tsMs: tsMs) }

        /// Just before this row: reading after it reads the row again (device times are whole milliseconds).
        var justBefore: Cursor { Cursor(xid: xid, receivedAtMicros: receivedAtMicros, vehicleID: vehicleID, channel: channel, tsMs: tsMs - 1) }

        static func < (a: Cursor, b: Cursor) -> Bool {
            a.xid != b.xid ? a.xid < b.xid : a.receipt < b.receipt
        }

        static func == (a: Cursor, b: Cursor) -> Bool { a.xid == b.xid && a.receipt == b.receipt }
    }

    /// A reading's place in receipt order: when the instance that stored it received it, then vehicle,
    /// channel and device time (unique, like the reading).
    struct ReceiptKey: Sendable, Equatable, Comparable, Codable {
        var receivedAtMicros: Int64
        var vehicleID: String
        var channel: String
        var tsMs: Int64

        static func < (a: ReceiptKey, b: ReceiptKey) -> Bool {
            if a.receivedAtMicros != b.receivedAtMicros { return a.receivedAtMicros < b.receivedAtMicros }
            if !a.vehicleID.utf8.elementsEqual(b.vehicleID.utf8) { return a.vehicleID.utf8.lexicographicallyPrecedes(b.vehicleID.utf8) }
            if !a.channel.utf8.elementsEqual(b.channel.utf8) { return a.channel.utf8.lexicographicallyPrecedes(b.channel.utf8) }
            return a.tsMs < b.tsMs
        }

        static func == (a: ReceiptKey, b: ReceiptKey) -> Bool {
            a.receivedAtMicros == b.receivedAtMicros && a.tsMs == b.tsMs && a.vehicleID.utf8.elementsEqual(b.vehicleID.utf8)
                && a.channel.utf8.elementsEqual(b.channel.utf8)
        }
    }

    /// A reading of one of the partitions asked for.
    struct Row: Sendable, Equatable {
        var reading: Reading
        var receivedAtMs: Int64
        var position: Cursor
        var partition: Int
    }

    struct Page: Sendable {
        /// The readings of the partitions asked for, in commit order.
        var rows: [Row] = []
        /// The last row scanned (nil when there was none): the next page starts after it.
        var scanned: Cursor?
        /// The newest receipt time scanned (nil when nothing was).
        var clockMs: Int64?
        /// Rows scanned: the partitions' own, and rows stored without a partition key (older than the
        /// column), which every owner reads and passes over when they are not its own.
        var scannedCount = 0
    }

    /// The last row of ended transactions, in feed order (nil when there is none).
    static func end(_ db: PGConnection) throws(PGError) -> Cursor? {
        let r = try db.exec("""
            SELECT xid::text, \(PGConnection.epochMicroseconds("received_at")), vehicle_id, channel, \(PGConnection.epochMilliseconds("ts"))
            FROM readings WHERE \(ended)
            ORDER BY xid DESC, received_at DESC, vehicle_id COLLATE "C" DESC, channel COLLATE "C" DESC, ts DESC LIMIT 1
            """)
        guard r.rowCount == 1, let xid = r.string(0, 0).flatMap(UInt64.init), let received = r.int(0, 1), let vehicle = r.string(0, 2),
              let channel = r.string(0, 3), let ts = r.int(0, 4) else { return nil }
        return Cursor(xid: xid, receivedAtMicros: received, vehicleID: vehicle, channel: channel, tsMs: ts)
    }

    /// Rows of transactions that have ended: below the oldest one still running, nothing can commit any more.
    static let ended = "xid IS NOT NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())"

    /// Up to `limit` rows of `partitions` after `cursor` (`Cursor.origin`: from the first) of ended
    /// transactions, in commit order. PostgreSQL selects them by `partition_key`, so an owner fetches
    /// only its own share of the rows.
    static func read(_ db: PGConnection, after cursor: Cursor, limit: Int, scheme: PartitionScheme,
                     partitions: Set<Int>) throws(PGError) -> Page {
        let columns = """
            xid::text, vehicle_id, channel, \(PGConnection.epochMilliseconds("ts")), \(PGConnection.epochMicroseconds("received_at")), \
            seq, fuel_l, fuel_pct, odometer_km, lat, lon, speed_kmh, heading_deg, ignition, engine_hours
            """
        let order = #"ORDER BY xid, received_at, vehicle_id COLLATE "C", channel COLLATE "C", ts LIMIT "# + String(max(1, limit))
        let c = cursor
        let r = try db.exec("""
            SELECT \(columns) FROM readings
            WHERE \(ended) AND (xid, received_at, vehicle_id COLLATE "C", channel COLLATE "C", ts)
                > ($1::xid8, \(PGConnection.timestamp(epochMicrosecondsParameter: "$2")), $3 COLLATE "C", $4 COLLATE "C",
                   \(PGConnection.timestamp(epochMillisecondsParameter: "$5")))
                AND (partition_key IS NULL OR partition_key % $6::int = ANY($7::int[]))
            \(order)
            """, [String(c.xid), String(c.receivedAtMicros), c.vehicleID, c.channel, String(c.tsMs), String(scheme.count),
                  PGConnection.arrayLiteral(partitions.sorted())])
        var page = Page()
        for i in 0..<r.rowCount {
            guard let xid = r.string(i, 0).flatMap(UInt64.init), let vehicle = r.string(i, 1), let channelText = r.string(i, 2),
                  let ts = r.int(i, 3), let receivedMicros = r.int(i, 4) else { continue }
            let position = Cursor(xid: xid, receivedAtMicros: receivedMicros, vehicleID: vehicle, channel: channelText, tsMs: ts)
            let receivedAt = receivedMicros / 1000
            page.scanned = position
            page.scannedCount += 1
            page.clockMs = max(page.clockMs ?? .min, receivedAt)
            let partition = scheme.partition(of: vehicle)
            guard partitions.contains(partition), let channel = Channel(rawValue: channelText) else { continue }
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
            page.rows.append(Row(reading: reading, receivedAtMs: receivedAt, position: position, partition: partition))
        }
        return page
    }
}
