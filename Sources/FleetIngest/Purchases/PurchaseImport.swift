import CSV
import FleetCore
import Foundation
import LibPQ

/// `fleetd import-purchases`: a card provider's CSV export into `fuel_purchases`, in one transaction.
/// Columns are found by their header names; every line that cannot be stored is reported with its
/// number and reason and the rest go in. A line whose `external_ref` is stored already changes
/// nothing unless its values differ (a provider's correction: updated); a line without one is known
/// by vehicle, time and volume. So the same file imported twice stores each purchase once.
public struct PurchaseImport {
    public struct Options: Sendable {
        public var path: String
        public var overrides: [PurchaseField: String] = [:]
        /// `.` or `,`; nil: a comma when the file is `;`-separated, else a point.
        public var decimalMark: UInt8?
        /// The zone of times written without an offset.
        public var timeZone: TimeZone = TimeZone(identifier: "UTC")!
        /// Everything but the commit: the summary says what would change.
        public var dryRun = false

        public init(path: String) { self.path = path }
    }

    public struct Summary: Sendable, Equatable {
        public var lines = 0
        public var inserted = 0
        public var updated = 0
        public var unchanged = 0
        public var refused = 0
        public var refusedByField: [String: Int] = [:]
        public var ignoredColumns: [String] = []
        public var delimiter = ","
        public var decimalMark = "."

        mutating func count(_ r: PurchaseRefusal) {
            refused += 1
            refusedByField[r.field, default: 0] += 1
        }
    }

    /// What stops an import before any line is stored: the file, its header, its encoding.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static let batchRows = 50_000

    /// Imports `options.path`; `refused(line, reason)` hears of each line not stored.
    public static func run(_ options: Options, conninfo: String, schema: String,
                           refused: (Int, PurchaseRefusal) -> Void) throws -> Summary {
        let text = try readText(options.path)
        let first = text.utf8.prefix { $0 != 10 && $0 != 13 }
        guard !first.isEmpty else { throw Failure(description: "\(options.path) is empty") }
        let delimiter = sniffDelimiter(String(decoding: first, as: UTF8.self))
        var summary = Summary()
        summary.delimiter = delimiter == "\t" ? "tab" : String(delimiter)
        let mark = options.decimalMark ?? (delimiter == ";" ? UInt8(ascii: ",") : UInt8(ascii: "."))
        summary.decimalMark = String(UnicodeScalar(mark))
        let reader: CSVReader
        do {
            // From text in memory: on Linux a file InputStream reports its end as a read error.
            reader = try CSVReader(string: text, hasHeaderRow: true, delimiter: delimiter)
        } catch {
            throw Failure(description: "cannot read the header of \(options.path): \(error)")
        }
        let columns: PurchaseColumns
        do { columns = try PurchaseColumns(header: reader.headerRow ?? [], overrides: options.overrides) } catch {
            throw Failure(description: error.description)
        }
        summary.ignoredColumns = columns.ignored
        let zone = options.timeZone
        let format = PurchaseLine.Format(decimalMark: mark) { localMs in Self.utc(fromLocal: localMs, in: zone) }

        let db = try PGConnection(conninfo)
        try db.exec("SET search_path TO \(PGConnection.quoteIdentifier(schema))")
        try db.exec("BEGIN")
        try db.exec("""
            CREATE TEMP TABLE fleetd_stage_purchases (line bigint, \(Self.columns.map { "\($0.name) \($0.type)" }.joined(separator: ", "))) ON COMMIT DROP
            """)
        var staging = Staging(db: db)
        var refsSeen: [String: Int] = [:]
        var refusals: [(Int, PurchaseRefusal)] = []
        var line = 1  // the header
        while let fields = reader.next() {
            line += 1
            summary.lines += 1
            if fields.count == 1 && fields[0].isEmpty { summary.lines -= 1; continue }  // a blank line
            switch PurchaseLine.parse(fields, columns, format) {
            case .failure(let r):
                refusals.append((line, r))
            case .success(let p):
                if let ref = p.externalRef {
                    if let earlier = refsSeen[ref] {
                        refusals.append((line, PurchaseRefusal("external_ref", "'\(ref.prefix(80))' is on line \(earlier) already")))
                        continue
                    }
                    refsSeen[ref] = line
                }
                try staging.add(p, line: line)
            }
            // Reported as they come: a long file shows its trouble early.
            for (n, r) in refusals { summary.count(r); refused(n, r) }
            refusals.removeAll(keepingCapacity: true)
        }
        if let error = reader.error {
            _ = try? db.exec("ROLLBACK")
            throw Failure(description: "\(options.path) line \(line + 1): unreadable (\(error)); nothing was imported")
        }
        try staging.flush()
        for (n, r) in try merge(db, &summary) { summary.count(r); refused(n, r) }
        try db.exec(options.dryRun ? "ROLLBACK" : "COMMIT")
        return summary
    }

    /// The staged lines into `fuel_purchases`. A line the table refuses (a constraint or trigger an
    /// operator added) is found by trying the lines one by one, reported, and left out.
    private static func merge(_ db: PGConnection, _ summary: inout Summary) throws -> [(Int, PurchaseRefusal)] {
        try db.exec("SAVEPOINT fleetd_merge")
        do {
            try mergeStatement(db, "TRUE", &summary)
            return []
        } catch {
            // (A `catch where` on a typed throw crashes Swift 6.3's MandatoryAllocBoxToStack.)
            guard error.disposition == .isolate else { throw error }
            try db.exec("ROLLBACK TO SAVEPOINT fleetd_merge")
        }
        var refusals: [(Int, PurchaseRefusal)] = []
        let lines = try db.exec("SELECT line FROM fleetd_stage_purchases ORDER BY line")
        for i in 0..<lines.rowCount {
            guard let n = lines.int(i, 0) else { continue }
            try db.exec("SAVEPOINT fleetd_line")
            do {
                try mergeStatement(db, "line = \(n)", &summary)
                try db.exec("RELEASE SAVEPOINT fleetd_line")
            } catch {
                guard error.disposition == .isolate else { throw error }
                try db.exec("ROLLBACK TO SAVEPOINT fleetd_line")
                refusals.append((Int(n), PurchaseRefusal("fuel_purchases", "PostgreSQL refused it: \(error)")))
            }
        }
        return refusals
    }

    /// Inserts the staged lines matching `condition`; a stored purchase with the same external_ref is
    /// updated only when a value differs.
    private static func mergeStatement(_ db: PGConnection, _ condition: String, _ summary: inout Summary) throws(PGError) {
        let names = Self.columns.map(\.name)
        let list = names.joined(separator: ", ")
        let r = try db.exec("""
            WITH by_ref AS (
                INSERT INTO fuel_purchases (\(list))
                SELECT \(list) FROM fleetd_stage_purchases WHERE external_ref IS NOT NULL AND \(condition)
                ON CONFLICT (external_ref) DO UPDATE SET \(names.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")), updated_at = now()
                WHERE (\(names.map { "fuel_purchases.\($0)" }.joined(separator: ", "))) IS DISTINCT FROM (\(names.map { "excluded.\($0)" }.joined(separator: ", ")))
                RETURNING xmax = 0 AS inserted
            ), by_key AS (
                INSERT INTO fuel_purchases (\(list))
                SELECT \(list) FROM fleetd_stage_purchases WHERE external_ref IS NULL AND \(condition)
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FILTER (WHERE inserted) FROM by_ref) + (SELECT count(*) FROM by_key),
                   (SELECT count(*) FILTER (WHERE NOT inserted) FROM by_ref),
                   (SELECT count(*) FROM fleetd_stage_purchases WHERE \(condition))
            """)
        let inserted = Int(r.int(0, 0) ?? 0), updated = Int(r.int(0, 1) ?? 0), staged = Int(r.int(0, 2) ?? 0)
        summary.inserted += inserted
        summary.updated += updated
        summary.unchanged += staged - inserted - updated
    }

    /// Lines on their way to the staging table, COPY'd a batch at a time.
    private struct Staging {
        let db: PGConnection
        var copy = CopyTextEncoder()
        var rows = 0

        mutating func add(_ p: FuelPurchase, line: Int) throws(PGError) {
            PurchaseImport.stage(p, line: line, into: &copy)
            rows += 1
            if rows >= PurchaseImport.batchRows { try flush() }
        }

        mutating func flush() throws(PGError) {
            guard rows > 0 else { return }
            try db.copyIn("COPY fleetd_stage_purchases (line, \(PurchaseImport.columns.map(\.name).joined(separator: ", "))) FROM STDIN", bytes: copy.bytes)
            copy.removeAll()
            rows = 0
        }
    }

    static let columns: [(name: String, type: String)] = [
        ("vehicle_id", "text"), ("purchased_at", "timestamptz"), ("volume_l", "float8"), ("amount", "numeric"),
        ("currency", "text"), ("station", "text"), ("lat", "float8"), ("lon", "float8"), ("card_id", "text"), ("external_ref", "text"),
    ]

    fileprivate static func stage(_ p: FuelPurchase, line: Int, into copy: inout CopyTextEncoder) {
        copy.int(Int64(line))
        copy.text(p.vehicleID)
        copy.timestamp(epochMicros: p.purchasedAtMs * 1_000)
        copy.double(p.volumeL)
        if let a = p.amount { copy.plain(a) } else { copy.null() }
        if let c = p.currency { copy.plain(c) } else { copy.null() }
        if let s = p.station { copy.text(s) } else { copy.null() }
        copy.double(p.lat)
        copy.double(p.lon)
        if let c = p.cardID { copy.text(c) } else { copy.null() }
        if let r = p.externalRef { copy.text(r) } else { copy.null() }
        copy.endRow()
    }

    /// A wall-clock time in `zone` (read as if UTC) → Unix ms. In a DST gap or overlap the offset
    /// in force just before is taken.
    static func utc(fromLocal msAsUTC: Int64, in zone: TimeZone) -> Int64 {
        let guess = Date(timeIntervalSince1970: Double(msAsUTC) / 1000)
        let first = Int64(zone.secondsFromGMT(for: guess))
        let second = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(msAsUTC - first * 1000) / 1000)))
        return msAsUTC - second * 1000
    }

    /// The file as text. Not UTF-8 is refused whole, naming the first line that is not: replacing
    /// bytes would store station names and references that no longer match the provider's.
    static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot open \(path)") }
        if let text = String(data: data, encoding: .utf8) { return text }
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var line = 1
        scan: while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let scalar): if scalar.first == 10 { line += 1 }
            case .emptyInput, .error: break scan
            }
        }
        throw Failure(description: "\(path) line \(line): not UTF-8 text (convert it first, e.g. iconv -f WINDOWS-1252 -t UTF-8); nothing was imported")
    }

    /// The most frequent of `,` `;` and tab outside quotes in the header (`,` on a tie).
    static func sniffDelimiter(_ header: String) -> UnicodeScalar {
        var counts: [UnicodeScalar: Int] = [",": 0, ";": 0, "\t": 0]
        var quoted = false
        for s in header.unicodeScalars {
            if s == "\"" { quoted.toggle() } else if !quoted, counts[s] != nil { counts[s]! += 1 }
        }
        return [";", "\t"].reduce(UnicodeScalar(",")) { best, s in counts[s]! > counts[best]! ? s : best }
    }
}
