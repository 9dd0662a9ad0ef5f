import FleetMigrations
import LibPQ
import Logging

/// Applies the embedded migrations once each, recorded in `schema_migrations`. An advisory
/// lock makes two fleetd processes starting together take turns.
public struct Migrator {
    /// Arbitrary constant: the advisory lock key shared by every fleetd.
    static let lockKey: Int64 = 0x0F1E_E7D0_0001
    public var schema: String
    public var logger: Logger

    public init(schema: String, logger: Logger) {
        self.schema = schema
        self.logger = logger
    }

    /// Returns the versions it applied.
    @discardableResult
    public func migrate(_ db: PGConnection, migrations: [Migration] = Migrations.all) throws(PGError) -> [Int] {
        try requireUTF8(db)
        try db.exec("SELECT pg_advisory_lock(\(Self.lockKey))")
        defer { _ = try? db.exec("SELECT pg_advisory_unlock(\(Self.lockKey))") }
        let quoted = PGConnection.quoteIdentifier(schema)
        try db.exec("""
            CREATE SCHEMA IF NOT EXISTS \(quoted);
            SET search_path TO \(quoted);
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    int PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let done = try db.exec("SELECT version FROM schema_migrations")
        let applied = Set((0..<done.rowCount).compactMap { done.int($0, 0) })
        var newlyApplied: [Int] = []
        for m in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(Int64(m.version)) {
            do {
                try db.exec("BEGIN")
                try db.exec(m.sql)
                try db.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [String(m.version), m.name])
                try db.exec("COMMIT")
            } catch {
                _ = try? db.exec("ROLLBACK")
                throw PGError(message: "migration \(m.name) failed: \(error.message)", sqlState: error.sqlState, connectionLost: error.connectionLost)
            }
            logger.info("applied migration", metadata: ["migration": "\(m.name)", "schema": "\(schema)"])
            newlyApplied.append(m.version)
        }
        try warnAboutUnvalidatedRanges(db)
        return newlyApplied
    }

    /// A range constraint left NOT VALID means rows that were there before it break it: fleetd skips
    /// them at load (and names each), and says here what ends that.
    private func warnAboutUnvalidatedRanges(_ db: PGConnection) throws(PGError) {
        let r = try db.exec("""
            SELECT conrelid::regclass::text, conname FROM pg_constraint
            WHERE NOT convalidated AND contype = 'c' AND conname LIKE '%\\_range' AND connamespace = to_regnamespace(current_schema())
            ORDER BY 1, 2
            """)
        for i in 0..<r.rowCount {
            guard let table = r.string(i, 0), let name = r.string(i, 1) else { continue }
            logger.warning("rows of an operator table break a range constraint and are skipped at load (the log names each); fix them, then validate the constraint", metadata: [
                "table": "\(table)", "constraint": "\(name)", "then": "ALTER TABLE \(table) VALIDATE CONSTRAINT \(name)",
            ])
        }
    }

    /// fleetd stores topics, details and JSON as text: a database in another encoding would refuse
    /// some of it (or, as SQL_ASCII, store bytes no client can read back reliably).
    private func requireUTF8(_ db: PGConnection) throws(PGError) {
        let r = try db.exec("SELECT current_database(), pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()")
        guard r.rowCount == 1, let name = r.string(0, 0), let encoding = r.string(0, 1) else { return }
        guard encoding == "UTF8" else {
            throw PGError(message: "database \(name) has encoding \(encoding); fleetd needs UTF8: create it with CREATE DATABASE \(name) ENCODING 'UTF8' TEMPLATE template0", connectionLost: false)
        }
    }
}
