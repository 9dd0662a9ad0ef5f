import FleetCore

/// The advisory lock namespaces (the first of the two keys) of one fleetd schema's shared detection:
/// one database may hold several schemas, each with its own instances. Positive, since pg_locks shows
/// the key as an oid.
public struct PartitionLockKeys: Sendable, Equatable {
    /// A partition's owner: a session lock on the owner's lock connection.
    public let partition: Int32
    /// An instance taking part: a session lock per lock connection, keyed by its server process.
    public let member: Int32
    /// A partition's cursor being written or read: a transaction lock, so a new owner waits for the
    /// old owner's commit in flight.
    public let fence: Int32

    /// SQL: a `pg_locks` row of a granted two-key advisory lock in this database (keys are per schema,
    /// not per database, and one server may hold several fleetd databases).
    public static let grantedHere = """
        locktype = 'advisory' AND granted AND objsubid = 2 \
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """

    public init(schema: String) {
        func key(_ use: String) -> Int32 {
            Int32(truncatingIfNeeded: PartitionScheme.fnv1a("fleetd/\(schema)/\(use)".utf8) & 0x7fff_ffff)
        }
        partition = key("partition")
        member = key("member")
        fence = key("fence")
    }
}
