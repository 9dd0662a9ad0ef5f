import LibPQ

extension PGConnection {
    /// A connection as fleetd's workers use it: fleetd's schema first on the search path, and
    /// `statementTimeout` unless the connection string (options=-c …) or the role sets one.
    static func session(_ conninfo: String, schema: String, statementTimeout: Duration) throws(PGError) -> PGConnection {
        let db = try PGConnection(conninfo)
        let ms = statementTimeout.wholeMilliseconds
        if ms > 0, try db.exec("SHOW statement_timeout").string(0, 0) == "0" {
            try db.exec("SET statement_timeout = \(ms)")
        }
        try db.exec("SET search_path TO \(quoteIdentifier(schema))")
        return db
    }
}
