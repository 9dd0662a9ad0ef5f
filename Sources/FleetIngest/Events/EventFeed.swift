import FleetCore
import Foundation
import LibPQ

/// fleetd's events as one feed, read from PostgreSQL: the `events` view in commit order (`seq`), from a
/// cursor, filtered, and followed live through `LISTEN fleetd_events`. A notification only says that
/// something committed; what is printed always comes from the tables after the cursor, so a
/// notification lost while away (or never sent) costs nothing but a second of delay.
public final class EventFeed {
    public struct Filter: Sendable {
        public var vehicle: String?
        public var kind: String?
        /// Only events that happened at or after this time (Unix ms).
        public var fromMs: Int64?

        public init(vehicle: String? = nil, kind: String? = nil, fromMs: Int64? = nil) {
            self.vehicle = vehicle
            self.kind = kind
            self.fromMs = fromMs
        }
    }

    public struct Event: Sendable, Equatable {
        public var seq: Int64
        public var kind: String
        public var vehicleID: String
        /// The event as JSON: seq, table, id, kind, vehicle_id, ts and the row's own fields.
        public var json: String
    }

    let db: PGConnection
    private var listening = false

    /// `statementTimeout` (unless the URL or role sets one): a reader inside fleetd must not hang on a lock.
    public init(conninfo: String, schema: String, statementTimeout: Duration = .zero) throws(PGError) {
        db = try PGConnection.session(conninfo, schema: schema, statementTimeout: statementTimeout)
    }

    /// Where a reader starts: the latest few events, after a feed position, or at a time.
    public enum Start: Equatable, Sendable {
        case latest(Int)
        case afterSeq(Int64)
        case at(ms: Int64)

        /// `text`: nil (the latest `latest`), a feed position (digits), an RFC 3339 time, or a duration
        /// ago (`90s`, `15m`, `2h`, `7d`); nil when it is none of these.
        public static func parse(_ text: String?, nowMs: Int64, latest: Int) -> Start? {
            guard let text else { return .latest(latest) }
            if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int64(text) { return .afterSeq(n) }
            if let ms = Timestamp.parseRFC3339(Array(text.utf8)) { return .at(ms: ms) }
            if let d = ConfigValueParsers.duration(text) { return .at(ms: nowMs - d.wholeMilliseconds) }
            return nil
        }
    }

    /// Every event from `start` on, page by page to `body`; returns the position after the last.
    public func read(from start: Start, _ filter: Filter, _ body: ([Event]) -> Void) throws(PGError) -> Int64 {
        var cursor: Int64 = 0
        var filter = filter
        switch start {
        case .latest(let n):
            let events = try last(n, filter)
            body(events)
            if let seq = events.last?.seq { return seq }
            return try end()
        case .afterSeq(let seq): cursor = seq
        case .at(let ms): filter.fromMs = ms
        }
        while true {
            let page = try after(cursor, filter)
            body(page)
            guard let last = page.last else { return cursor }
            cursor = last.seq
        }
    }

    /// Events after `seq` matching `filter`, oldest first, at most `limit`.
    public func after(_ seq: Int64, _ filter: Filter, limit: Int = 10_000) throws(PGError) -> [Event] {
        try query("""
            SELECT seq, kind, vehicle_id, event::text FROM events WHERE \(Self.filterSQL) AND seq > $4 ORDER BY seq LIMIT \(max(1, limit))
            """, Self.params(filter) + [String(seq)])
    }

    /// The last `count` events matching `filter`, oldest first.
    public func last(_ count: Int, _ filter: Filter) throws(PGError) -> [Event] {
        try query("""
            SELECT seq, kind, vehicle_id, event FROM (
                SELECT seq, kind, vehicle_id, event::text FROM events WHERE \(Self.filterSQL) ORDER BY seq DESC LIMIT \(max(0, count))) e
            ORDER BY seq
            """, Self.params(filter))
    }

    /// Where the feed ends now (0 when empty): following from here prints only what comes next.
    public func end() throws(PGError) -> Int64 {
        try db.exec("SELECT coalesce(max(seq), 0) FROM events").int(0, 0) ?? 0
    }

    /// Waits up to `timeout` for a committed event's notification; true when one came.
    public func waitForCommit(timeout: Duration) throws(PGError) -> Bool {
        let end = ContinuousClock.now + timeout
        repeat {
            if try heardOfCommit() { return true }
            usleep(50_000)
        } while ContinuousClock.now < end
        return false
    }

    /// Whether a commit was announced since the last call, without waiting (listens from the first call on).
    func heardOfCommit() throws(PGError) -> Bool {
        if !listening {
            try db.exec("LISTEN \(PostgresSink.eventsChannel)")
            listening = true
        }
        return try !db.notifications().isEmpty
    }

    /// The filter's conditions on parameters $1…$3 (`params`); a query's own parameters follow them.
    private static let filterSQL = "($1::text IS NULL OR vehicle_id = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::float8 IS NULL OR ts >= to_timestamp($3::float8 / 1000))"

    private static func params(_ f: Filter) -> [String?] {
        [f.vehicle, f.kind, f.fromMs.map { String($0) }]
    }

    private func query(_ sql: String, _ params: [String?]) throws(PGError) -> [Event] {
        let r = try db.exec(sql, params)
        return (0..<r.rowCount).compactMap { i in
            guard let seq = r.int(i, 0), let json = r.string(i, 3) else { return nil }
            return Event(seq: seq, kind: r.string(i, 1) ?? "", vehicleID: r.string(i, 2) ?? "", json: json)
        }
    }
}
