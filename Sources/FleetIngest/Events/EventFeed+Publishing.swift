import LibPQ

/// What a publisher keeps in PostgreSQL beside reading the feed: its cursor, and the lock that lets
/// one fleetd publish at a time.
extension EventFeed {
    /// Held by the publishing fleetd's connection for as long as it lasts (session advisory lock).
    static let publisherLockKey: Int64 = 0x0F1E_E7D0_0003

    /// Takes the publisher's lock without waiting; false while another fleetd publishes.
    func tryLockPublishing() throws(PGError) -> Bool {
        try db.exec("SELECT pg_try_advisory_lock(\(Self.publisherLockKey))").string(0, 0) == "t"
    }

    /// The sink's stored cursor. A missing row (deleted by hand) is made again at the feed's end, so
    /// that history is not published as news; `madeAgain` says so.
    func publishCursor(sink: String) throws(PGError) -> (seq: Int64, madeAgain: Bool) {
        if let seq = try db.exec("SELECT seq FROM event_publish_cursors WHERE sink = $1", [sink]).int(0, 0) {
            return (seq, false)
        }
        let r = try db.exec("""
            INSERT INTO event_publish_cursors (sink, seq) SELECT $1, coalesce(max(seq), 0) FROM events
            ON CONFLICT (sink) DO UPDATE SET seq = event_publish_cursors.seq RETURNING seq
            """, [sink])
        return (r.int(0, 0) ?? 0, true)
    }

    /// Moves the sink's cursor forward, never back (a fleetd that took over publishing may be ahead).
    func storePublishCursor(sink: String, seq: Int64) throws(PGError) {
        try db.exec("""
            UPDATE event_publish_cursors SET seq = $2, updated_at = now() WHERE sink = $1 AND seq < $2
            """, [sink, String(seq)])
    }

    /// Events committed after `seq`, counted up to `cap` (a long outage should not make every count a scan).
    func count(after seq: Int64, cap: Int = 1_000_000) throws(PGError) -> Int {
        Int(try db.exec("SELECT count(*) FROM (SELECT 1 FROM events WHERE seq > $1 LIMIT \(cap)) e", [String(seq)]).int(0, 0) ?? 0)
    }

    var socketDescriptor: Int32 { db.socketDescriptor }
}
