import FleetCore
import LibPQ

/// The lock side of shared detection, on a PostgreSQL session of its own: this instance's membership
/// lock and one session advisory lock per partition it owns (`PartitionOwnership` decides which). The
/// locks live exactly as long as the session: a killed instance's vanish with its connection, and the
/// others take its partitions at their next count. What owning a partition means (its state, its
/// readings, its cursor) is the caller's, told through `Change`s.
///
/// Not thread-safe: one thread steps it.
public final class PartitionLockSession {
    public enum Change: Sendable, Equatable {
        /// Start detecting the partition.
        case own(Int)
        /// Stop detecting it and commit its state and cursor: its lock is released when the call returns.
        case handBack(Int)
        /// Already gone with the connection: stop at once, write nothing more for these.
        case lose([Int])
    }

    private let conninfo: String
    public let keys: PartitionLockKeys
    private var db: PGConnection?
    public private(set) var machine: PartitionOwnership
    /// The server process of the lock session (for operators' `pg_locks` queries and tests).
    public private(set) var backendPID: Int32?

    public init(conninfo: String, schema: String, instance: String, scheme: PartitionScheme, settleMs: Int64 = 10_000) {
        self.conninfo = conninfo
        keys = PartitionLockKeys(schema: schema)
        machine = PartitionOwnership(scheme: scheme, instance: instance, settleMs: settleMs)
    }

    /// One step at `nowMs` (any monotonic clock): connects when not connected, counts the members when
    /// due, tries and releases locks. `changed` is called for each change, in order; an error from the
    /// session ends the step with the connection lost, and the next step reconnects.
    public func step(nowMs: Int64, _ changed: (Change) -> Void) {
        do {
            if db == nil {
                let session = try PGConnection(conninfo)
                // The membership lock is keyed by the server process: unique while the session lives.
                let pid = try session.exec("SELECT pg_backend_pid()").int(0, 0).map { Int32($0) }
                try session.exec("SELECT pg_advisory_lock($1::int, pg_backend_pid())", [String(keys.member)])
                db = session
                backendPID = pid
                try run(machine.handle(.connected), nowMs: nowMs, changed)
            } else {
                try run(machine.handle(.tick(at: nowMs)), nowMs: nowMs, changed)
            }
        } catch {
            db = nil
            backendPID = nil
            for action in machine.handle(.connectionLost) {
                if case .lose(let ps) = action { changed(.lose(ps)) }
            }
        }
    }

    /// Ends the session, and every lock with it (a clean stop hands back first).
    public func close() {
        db = nil
        backendPID = nil
    }

    private func run(_ first: [PartitionOwnership.Action], nowMs: Int64, _ changed: (Change) -> Void) throws(PGError) {
        var queue = first
        while !queue.isEmpty {
            let action = queue.removeFirst()
            guard let db else { return }
            switch action {
            case .countMembers:
                let n = try db.exec("""
                    SELECT count(*) FROM pg_locks WHERE \(PartitionLockKeys.grantedHere) AND classid = $1::int::oid
                    """, [String(keys.member)]).int(0, 0) ?? 1
                queue += machine.handle(.members(Int(n), at: nowMs))
            case .tryLock(let p):
                let got = try db.exec("SELECT pg_try_advisory_lock($1::int, $2::int)", [String(keys.partition), String(p)]).string(0, 0) == "t"
                queue += machine.handle(got ? .granted(p) : .refused(p))
            case .own(let p):
                changed(.own(p))
            case .handBack(let p):
                changed(.handBack(p))
                try db.exec("SELECT pg_advisory_unlock($1::int, $2::int)", [String(keys.partition), String(p)])
                queue += machine.handle(.handedBack(p))
            case .lose(let ps):
                changed(.lose(ps))
            }
        }
    }
}
