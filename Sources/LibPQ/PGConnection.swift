import CLibPQ
import Foundation

/// A PostgreSQL failure with libpq's message and, when the server sent one, its SQLSTATE.
public struct PGError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var sqlState: String?
    /// True when the connection itself is gone: retry after reconnecting.
    public var connectionLost: Bool

    public init(message: String, sqlState: String? = nil, connectionLost: Bool) {
        self.message = message
        self.sqlState = sqlState
        self.connectionLost = connectionLost
    }

    public var description: String {
        sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message
    }
}

/// A thin owner of one libpq connection. Not thread-safe: one thread uses it at a time.
public final class PGConnection {
    private let conn: OpaquePointer

    /// Settings a daemon needs that libpq leaves off: a connect that gives up (10 s unless
    /// PGCONNECT_TIMEOUT says otherwise) and TCP keepalives, so a vanished server or a dropped route
    /// is noticed in about a minute instead of the kernel's two hours. The URI or conninfo overrides
    /// each of them (`?connect_timeout=…&keepalives_idle=…`).
    static func defaultParameters(environment: [String: String] = ProcessInfo.processInfo.environment) -> [(String, String)] {
        var out = [("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3")]
        if environment["PGCONNECT_TIMEOUT"] == nil { out.append(("connect_timeout", "10")) }
        return out
    }

    /// Connects with a libpq URI or conninfo string; empty means libpq's defaults and PG* variables.
    public init(_ conninfo: String) throws(PGError) {
        // The defaults come before `dbname`, which libpq expands: what the URI says wins.
        // client_encoding comes after: fleetd's text (topics, details, JSON) is UTF-8 whatever the URL says.
        let pairs = Self.defaultParameters() + [("dbname", conninfo), ("client_encoding", "UTF8")]
        let keywords = pairs.map { strdup($0.0) }, values = pairs.map { strdup($0.1) }
        defer { keywords.forEach { free($0) }; values.forEach { free($0) } }
        let keywordList: [UnsafePointer<CChar>?] = keywords.map { UnsafePointer($0) } + [nil]
        let valueList: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        guard let c = PQconnectdbParams(keywordList, valueList, 1) else {
            throw PGError(message: "libpq could not allocate a connection", connectionLost: true)
        }
        guard PQstatus(c) == CONNECTION_OK else {
            // libpq echoes a connection string it cannot parse, password and all.
            let message = Redaction.text(Self.trimmed(PQerrorMessage(c)))
            PQfinish(c)
            // `conn` is not set yet, so deinit (which also calls PQfinish) does not run.
            throw PGError(message: message, connectionLost: true)
        }
        // Server notices ("schema already exists, skipping") would go to stderr unformatted.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
        conn = c
    }

    deinit { PQfinish(conn) }

    public var isConnected: Bool { PQstatus(conn) == CONNECTION_OK }

    /// The connection's socket, to wait on with poll() for notifications (-1 when there is none).
    public var socketDescriptor: Int32 { PQsocket(conn) }

    /// Runs one or more statements without parameters.
    @discardableResult
    public func exec(_ sql: String) throws(PGError) -> PGResult {
        try check(PQexec(conn, sql))
    }

    /// Runs one statement with text parameters (`$1`, `$2`, …); nil is SQL NULL.
    @discardableResult
    public func exec(_ sql: String, _ params: [String?]) throws(PGError) -> PGResult {
        let cStrings: [UnsafeMutablePointer<CChar>?] = params.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        let result = cStrings.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buf.count, 1)) { ptr in
                PQexecParams(conn, sql, Int32(params.count), nil, params.isEmpty ? nil : ptr, nil, nil, 0)
            }
        }
        return try check(result)
    }

    /// Streams `data` (COPY text format) into a `COPY … FROM STDIN` statement; returns the row count.
    @discardableResult
    public func copyIn(_ sql: String, data: UnsafeRawBufferPointer) throws(PGError) -> Int {
        let start = PQexec(conn, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try check(start)
            throw PGError(message: "expected COPY IN for: \(sql.prefix(80))", connectionLost: false)
        }
        PQclear(start)
        var offset = 0
        let chunk = 1 << 20
        while offset < data.count {
            let n = min(chunk, data.count - offset)
            let rc = PQputCopyData(conn, data.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), Int32(n))
            guard rc == 1 else { throw lastError() }
            offset += n
        }
        guard PQputCopyEnd(conn, nil) == 1 else { throw lastError() }
        return try check(PQgetResult(conn)).affectedRows
    }

    @discardableResult
    public func copyIn(_ sql: String, bytes: [UInt8]) throws(PGError) -> Int {
        let result = bytes.withUnsafeBytes { buf in Result { () throws(PGError) in try copyIn(sql, data: buf) } }
        return try result.get()
    }

    /// Whether a table or view of this name is visible on the search path.
    public func relationExists(_ name: String) throws(PGError) -> Bool {
        try exec("SELECT to_regclass($1) IS NOT NULL", [name]).string(0, 0) == "t"
    }

    /// Channels of the notifications (`LISTEN`) received so far, without waiting for more.
    public func notifications() throws(PGError) -> [String] {
        try notificationsWithPayloads().map(\.channel)
    }

    /// The notifications received so far, with their payloads, without waiting for more.
    public func notificationsWithPayloads() throws(PGError) -> [(channel: String, payload: String)] {
        guard PQconsumeInput(conn) == 1 else { throw lastError() }
        var out: [(channel: String, payload: String)] = []
        while let n = PQnotifies(conn) {
            out.append((String(cString: n.pointee.relname), String(cString: n.pointee.extra)))
            PQfreemem(n)
        }
        return out
    }

    private func lastError() -> PGError {
        PGError(message: Self.trimmed(PQerrorMessage(conn)), connectionLost: PQstatus(conn) != CONNECTION_OK)
    }

    private func check(_ result: OpaquePointer?) throws(PGError) -> PGResult {
        guard let result else { throw lastError() }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            // Drain any further results so the connection is ready for the next command.
            while let extra = PQgetResult(conn) { PQclear(extra) }
            return PGResult(result)
        default:
            let message = Self.trimmed(PQresultErrorMessage(result))
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            PQclear(result)
            while let extra = PQgetResult(conn) { PQclear(extra) }
            throw PGError(message: message.isEmpty ? Self.trimmed(PQerrorMessage(conn)) : message,
                          sqlState: state, connectionLost: PQstatus(conn) != CONNECTION_OK)
        }
    }

    static func trimmed(_ s: UnsafePointer<CChar>?) -> String {
        guard let s else { return "" }
        return String(cString: s).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SQL for a timestamptz column as Unix epoch milliseconds (bigint).
    /// NULL for `infinity` and `-infinity`, which have no epoch and would fail the whole query.
    public static func epochMilliseconds(_ column: String) -> String {
        "CASE WHEN isfinite(\(column)) THEN (extract(epoch FROM \(column)) * 1000)::bigint END"
    }

    /// SQL for a timestamptz from the bigint parameter `parameter` (`$4`) holding Unix epoch milliseconds,
    /// exactly (a float of seconds would round).
    public static func timestamp(epochMillisecondsParameter parameter: String) -> String {
        "'epoch'::timestamptz + \(parameter)::bigint * interval '1 millisecond'"
    }

    /// SQL for a timestamptz column as Unix epoch microseconds (bigint), exactly: its own resolution.
    public static func epochMicroseconds(_ column: String) -> String {
        "CASE WHEN isfinite(\(column)) THEN (extract(epoch FROM \(column)) * 1000000)::bigint END"
    }

    /// SQL for a timestamptz from the bigint parameter `parameter` holding Unix epoch microseconds.
    public static func timestamp(epochMicrosecondsParameter parameter: String) -> String {
        "'epoch'::timestamptz + \(parameter)::bigint * interval '1 microsecond'"
    }

    /// A PostgreSQL array literal (`{"a","b"}`) of `elements`, for a `$n::text[]` or `::int[]` parameter or
    /// an array column in COPY text; each element quoted, so commas and braces in it stay in it.
    public static func arrayLiteral<S: Sequence>(_ elements: S) -> String where S.Element: CustomStringConvertible {
        "{" + elements.map { "\"" + $0.description.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    /// Quotes an identifier (schema, table) for SQL text.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// An owned query result; values are read as text.
public final class PGResult {
    private let result: OpaquePointer

    init(_ result: OpaquePointer) { self.result = result }
    deinit { PQclear(result) }

    public var rowCount: Int { Int(PQntuples(result)) }
    public var columnCount: Int { Int(PQnfields(result)) }

    /// Rows affected by INSERT/UPDATE/DELETE/COPY.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    public func string(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
    }

    public func int(_ row: Int, _ column: Int) -> Int64? { string(row, column).flatMap { Int64($0) } }
    public func double(_ row: Int, _ column: Int) -> Double? { string(row, column).flatMap { Double($0) } }

    /// A `bytea` value, from PostgreSQL's text form (`\x` and hex digits).
    public func bytea(_ row: Int, _ column: Int) -> [UInt8]? {
        guard !isNull(row, column), let text = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        let n = Int(PQgetlength(result, Int32(row), Int32(column)))
        guard n >= 2, text[0] == CChar(UInt8(ascii: "\\")), text[1] == CChar(UInt8(ascii: "x")), n % 2 == 0 else { return nil }
        func nibble(_ c: CChar) -> UInt8? {
            switch UInt8(bitPattern: c) {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(bitPattern: c) - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt8(bitPattern: c) - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity((n - 2) / 2)
        var i = 2
        while i < n {
            guard let hi = nibble(text[i]), let lo = nibble(text[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
