import Foundation
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
    /// Where a partition's owner stopped (see `OwnedPartitions`): the last row read; where the rows
    /// still waiting to be fed in receipt order are read again from (nil: nothing waits) and the newest
    /// receipt time read before there; the last row fed; and the partition's receiving clock.
    struct Mark: Sendable, Equatable, Codable {
        var scan: ReadingsFeed.Cursor
        var rescan: ReadingsFeed.Cursor?
        var fed: ReadingsFeed.ReceiptKey?
        var seenMs: Int64?
        var clockMs: Int64?

        /// A partition never owned: reading starts at `scan`.
        init(scan: ReadingsFeed.Cursor, rescan: ReadingsFeed.Cursor? = nil, fed: ReadingsFeed.ReceiptKey? = nil,
             seenMs: Int64? = nil, clockMs: Int64? = nil) {
            self.scan = scan
            self.rescan = rescan
            self.fed = fed
            self.seenMs = seenMs
            self.clockMs = clockMs
        }
    }

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

    /// What a new owner of some partitions starts from, read under their fences (after any commit of
    /// the old owner in flight, and in one view of it): their marks and their vehicles' stored states.
    struct Loaded {
        var marks: [Int: Mark] = [:]
        var states: [Int: [(vehicleID: String, bytes: [UInt8])]] = [:]
    }

    /// The marks of `partitions` as last committed, and their vehicles' states, for their new owner (its
    /// lock session `lockPID`). A partition never owned before starts at the end of the feed (what was
    /// stored before shared detection began is not detected again); its mark is written at once, in
    /// the same transaction, so that whoever owns it next starts there too, not at a later end.
    static func load(_ db: PGConnection, partitions: [Int], scheme: PartitionScheme, owner: String, keys: PartitionLockKeys,
                     lockPID: Int32) throws -> Loaded {
        // Read committed: each statement sees what committed before it, the old owner's last checkpoint
        // included once the fence is ours (a snapshot taken at the fence would predate it).
        try db.exec("BEGIN")
        do {
            try fence(db, partitions, keys: keys)
            let r = try db.exec("""
                SELECT partition, partitions, mark::text FROM detection_cursors WHERE partition = ANY($1::int[])
                """, [PGConnection.arrayLiteral(partitions)])
            var out = Loaded()
            for i in 0..<r.rowCount {
                guard let p = r.int(i, 0), let count = r.int(i, 1) else { continue }
                guard count == scheme.count else { throw CountChanged(stored: Int(count), running: scheme.count) }
                // A row without a readable mark (written by an older fleetd) counts as never owned.
                guard let json = r.string(i, 2), let mark = try? JSONDecoder().decode(Mark.self, from: Data(json.utf8)) else { continue }
                out.marks[Int(p)] = mark
            }
            let wanted = Set(partitions)
            let states = try db.exec("SELECT vehicle_id, state FROM vehicle_state")
            for i in 0..<states.rowCount {
                guard let id = states.string(i, 0), wanted.contains(scheme.partition(of: id)), let bytes = states.bytea(i, 1) else { continue }
                out.states[scheme.partition(of: id), default: []].append((id, bytes))
            }
            let fresh = partitions.filter { out.marks[$0] == nil }
            if !fresh.isEmpty {
                let start = Mark(scan: try ReadingsFeed.end(db) ?? .origin)
                for p in fresh { out.marks[p] = start }
                try commit(db, out.marks.filter { fresh.contains($0.key) }, scheme: scheme, owner: owner, keys: keys, lockPID: lockPID)
            }
            try db.exec("COMMIT")
            return out
        } catch {
            _ = try? db.exec("ROLLBACK")
            throw error
        }
    }

    /// Writes the cursors inside the caller's transaction (the one writing their events), once its lock
    /// session (`lockPID`) is seen to still hold every one of their partitions; throws `Lost` otherwise,
    /// and the caller rolls back.
    static func commit(_ db: PGConnection, _ cursors: [Int: Mark], scheme: PartitionScheme, owner: String,
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
            let m = cursors[p]!, c = m.scan
            // The mark whole, for the next owner; its read position in columns too, for people.
            let json = String(decoding: try JSONEncoder().encode(m), as: UTF8.self)
            try db.exec("""
                INSERT INTO detection_cursors (partition, partitions, xid, vehicle_id, channel, ts, owner, received_at, mark)
                VALUES ($1::int, $2::int, $3::xid8, $4, $5, \(PGConnection.timestamp(epochMillisecondsParameter: "$6")), $7,
                        \(PGConnection.timestamp(epochMicrosecondsParameter: "$8")), $9::jsonb)
                ON CONFLICT (partition) DO UPDATE SET partitions = EXCLUDED.partitions, xid = EXCLUDED.xid,
                    vehicle_id = EXCLUDED.vehicle_id, channel = EXCLUDED.channel, ts = EXCLUDED.ts,
                    owner = EXCLUDED.owner, received_at = EXCLUDED.received_at, mark = EXCLUDED.mark, updated_at = now()
                """, [String(p), String(scheme.count), String(c.xid), c.vehicleID, c.channel, String(c.tsMs), owner,
                      String(c.receivedAtMicros), json])
        }
    }
}
