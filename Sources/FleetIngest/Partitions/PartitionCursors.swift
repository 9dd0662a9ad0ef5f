import FleetCore
import LibPQ

/// Where each partition's reading stopped, committed in the transaction of the events it produced, so
/// that a new owner resumes exactly there: nothing detected twice, nothing skipped.
///
/// A partition's lock can move while its old owner is committing (the old owner's lock connection
/// died first). Two guards close that gap: the commit and a new owner's load both take a transaction
/// lock per partition (the fence), so the new owner waits for a commit in flight and reads its cursor;
/// and a commit checks, under the fence, that the partitions' locks are still its own lock session's,
/// so an owner that lost them writes nothing.
enum PartitionCursors {
    struct Lost: Error, CustomStringConvertible {
        var partitions: [Int]
        var description: String { "partitions \(partitions) are no longer this instance's: their cursors and events were not written" }
    }

    struct CountChanged: Error, CustomStringConvertible {
        var stored: Int
        var running: Int
        var description: String {
            "detection_cursors was written with \(stored) partitions and fleetd runs with \(running): run every instance with --partitions \(stored), "
                + "or stop them all and delete the rows of detection_cursors to start the partitions afresh"
        }
    }

    /// Takes the partitions' fences, in order (two transactions taking several never deadlock), until
    /// the end of the caller's transaction.
    private static func fence(_ db: PGConnection, _ partitions: [Int], keys: PartitionLockKeys) throws(PGError) {
        try db.exec("""
            SELECT pg_advisory_xact_lock($1::int, p) FROM (SELECT unnest($2::int[]) AS p ORDER BY 1) s
            """, [String(keys.fence), PGConnection.arrayLiteral(partitions.sorted())])
    }

    /// The cursors of `partitions` as last committed (none for a partition never read), for their new owner.
    static func load(_ db: PGConnection, partitions: [Int], scheme: PartitionScheme,
                     keys: PartitionLockKeys) throws -> [Int: ReadingsFeed.Cursor] {
        try db.exec("BEGIN")
        do {
            try fence(db, partitions, keys: keys)
            let r = try db.exec("""
                SELECT partition, partitions, xid::text, vehicle_id, channel, \(PGConnection.epochMilliseconds("ts"))
                FROM detection_cursors WHERE partition = ANY($1::int[])
                """, [PGConnection.arrayLiteral(partitions)])
            try db.exec("COMMIT")
            var out: [Int: ReadingsFeed.Cursor] = [:]
            for i in 0..<r.rowCount {
                guard let p = r.int(i, 0), let count = r.int(i, 1), let xid = r.string(i, 2).flatMap(UInt64.init),
                      let vehicle = r.string(i, 3), let channel = r.string(i, 4), let ts = r.int(i, 5) else { continue }
                guard count == scheme.count else { throw CountChanged(stored: Int(count), running: scheme.count) }
                out[Int(p)] = ReadingsFeed.Cursor(xid: xid, vehicleID: vehicle, channel: channel, tsMs: ts)
            }
            return out
        } catch {
            _ = try? db.exec("ROLLBACK")
            throw error
        }
    }

    /// Writes the cursors inside the caller's transaction (the one writing their events), once its lock
    /// session (`lockPID`) is seen to still hold every one of their partitions; throws `Lost` otherwise,
    /// and the caller rolls back.
    static func commit(_ db: PGConnection, _ cursors: [Int: ReadingsFeed.Cursor], scheme: PartitionScheme, owner: String,
                       keys: PartitionLockKeys, lockPID: Int32) throws {
        let partitions = cursors.keys.sorted()
        guard !partitions.isEmpty else { return }
        try fence(db, partitions, keys: keys)
        let held = try db.exec("""
            SELECT objid::int FROM pg_locks
            WHERE \(PartitionLockKeys.grantedHere) AND classid = $1::int::oid AND pid = $2::int AND objid::int = ANY($3::int[])
            """, [String(keys.partition), String(lockPID), PGConnection.arrayLiteral(partitions)])
        let mine = Set((0..<held.rowCount).compactMap { held.int($0, 0).map(Int.init) })
        let lost = partitions.filter { !mine.contains($0) }
        guard lost.isEmpty else { throw Lost(partitions: lost) }
        for p in partitions {
            let c = cursors[p]!
            try db.exec("""
                INSERT INTO detection_cursors (partition, partitions, xid, vehicle_id, channel, ts, owner)
                VALUES ($1::int, $2::int, $3::xid8, $4, $5, \(PGConnection.timestamp(epochMillisecondsParameter: "$6")), $7)
                ON CONFLICT (partition) DO UPDATE SET partitions = EXCLUDED.partitions, xid = EXCLUDED.xid,
                    vehicle_id = EXCLUDED.vehicle_id, channel = EXCLUDED.channel, ts = EXCLUDED.ts,
                    owner = EXCLUDED.owner, updated_at = now()
                """, [String(p), String(scheme.count), String(c.xid), c.vehicleID, c.channel, String(c.tsMs), owner])
        }
    }
}
