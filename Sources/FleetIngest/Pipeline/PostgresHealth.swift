import LibPQ

/// What the pipeline last saw of PostgreSQL, for `/readyz`: an operator must tell a database that is
/// gone from one that refuses fleetd's writes and from one where writes hang behind a lock.
public enum PostgresHealth: Sendable, Equatable {
    /// Connected, and the last write or ping went through.
    case writing
    /// No connection since `sinceNanos` (wall clock).
    case unreachable(sinceNanos: Int64, error: String)
    /// Connected, but writes fail with an error a retry may cure (a serialization failure, a missing
    /// privilege or table) since `sinceNanos`.
    case refusing(sinceNanos: Int64, sqlState: String?, error: String)
    /// Writes hit the statement timeout (a lock, an overloaded server) since `sinceNanos`.
    case stalled(sinceNanos: Int64)

    public var isWriting: Bool { self == .writing }

    /// After a failed write or connect at `nowNanos`; keeps the time the trouble began.
    func after(_ error: PGError, nowNanos: Int64) -> PostgresHealth {
        let since: Int64
        switch self {
        case .writing: since = nowNanos
        case .unreachable(let s, _), .refusing(let s, _, _), .stalled(let s): since = s
        }
        if error.connectionLost { return .unreachable(sinceNanos: since, error: error.message) }
        if error.sqlState == "57014" { return .stalled(sinceNanos: since) }
        return .refusing(sinceNanos: since, sqlState: error.sqlState, error: error.message)
    }

    /// A new connection says only that the server answers: a refusal or a stall stands until a write
    /// goes through.
    var afterConnecting: PostgresHealth {
        if case .unreachable = self { return .writing }
        return self
    }

    /// The `/readyz` detail at `nowNanos`.
    public func detail(nowNanos: Int64) -> String {
        func seconds(_ since: Int64) -> Int64 { max(0, (nowNanos - since) / 1_000_000_000) }
        switch self {
        case .writing:
            return "reachable"
        case .unreachable(let since, let error):
            return "unreachable for \(seconds(since)) s (\(error)); readings are spooled"
        case .refusing(let since, let state, let error):
            return "refusing writes for \(seconds(since)) s (SQLSTATE \(state ?? "none"): \(error)); readings are spooled and retried"
        case .stalled(let since):
            return "writes stalled for \(seconds(since)) s (statement timeout: a lock or an overloaded server); readings are spooled and retried"
        }
    }
}
