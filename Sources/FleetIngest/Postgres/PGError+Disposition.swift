import LibPQ

extension PGError {
    /// What a failed write calls for.
    enum Disposition: Equatable {
        /// The connection, the server or the moment: reconnect if needed and write the same again.
        case retry
        /// The rows themselves (a constraint, a trigger, a value PostgreSQL will not take): a retry
        /// will not cure it, so the refused message is isolated and kept aside.
        case isolate
    }

    /// By SQLSTATE class. Retry: connection exceptions (08), resources (53), operator intervention and
    /// timeouts (57), system errors (58), transaction rollbacks such as serialization failures and
    /// deadlocks (40), objects in use or locked (55), internal errors (XX); and errors of the environment
    /// rather than the rows (no privilege, a missing table or column, wrong database or schema,
    /// authentication), which an operator fixes while the spool holds the data. No SQLSTATE at all is a
    /// client-side failure: retry. Everything else (22 data, 23 integrity, 42 on the rows, 54 limits,
    /// P0 raised by a trigger, …) is the rows' own.
    var disposition: Disposition {
        if connectionLost { return .retry }
        guard let state = sqlState, state.count == 5 else { return .retry }
        if Self.retriedClasses.contains(String(state.prefix(2))) || Self.environmentStates.contains(state) { return .retry }
        return .isolate
    }

    static let retriedClasses: Set<String> = ["08", "53", "57", "58", "40", "55", "XX", "28", "3D", "3F", "25"]
    static let environmentStates: Set<String> = ["42501", "42P01", "42703", "42883"]
}
