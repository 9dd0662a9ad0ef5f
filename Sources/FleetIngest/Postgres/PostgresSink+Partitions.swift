import FleetCore
import LibPQ

/// `readings` by day: the days ahead created, the days past the retention dropped whole, far-off
/// clocks' rows in the default partition moved into a day when it is created and deleted by age.
/// Each change is its own short transaction under a lock every fleetd shares, with a short
/// lock_timeout: a reader holding the table only postpones the change to the next round.
extension PostgresSink {
    /// Arbitrary constant, shared by every fleetd: two instances never change partitions at once.
    static let partitionLockKey: Int64 = 0x0F1E_E7D0_0002
    static let partitionLockTimeout = "2s"

    /// The partitions of `readings` (nil when it is not a partitioned table: an operator's own layout,
    /// e.g. a TimescaleDB hypertable, is left alone).
    func readingPartitions() throws(PGError) -> [PartitionPlan.Partition]? {
        let kind = try db.exec("SELECT relkind FROM pg_class WHERE oid = to_regclass('readings')")
        guard kind.rowCount == 1, kind.string(0, 0) == "p" else { return nil }
        // Bounds as PostgreSQL prints them: FROM ('2026-11-30 00:00:00+00') TO (…), MINVALUE, DEFAULT.
        let r = try db.exec("""
            SELECT relname, bound = 'DEFAULT',
                   floor(extract(epoch FROM substring(bound FROM 'FROM \\(''([^'']+)''\\)')::timestamptz))::bigint,
                   floor(extract(epoch FROM substring(bound FROM 'TO \\(''([^'']+)''\\)')::timestamptz))::bigint
            FROM (SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
                  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                  WHERE i.inhparent = to_regclass('readings')) p
            """)
        return (0..<r.rowCount).compactMap { i in
            r.string(i, 0).map { PartitionPlan.Partition(name: $0, from: r.int(i, 2), to: r.int(i, 3), isDefault: r.string(i, 1) == "t") }
        }
    }

    /// Creates and drops what `plan` says; a change PostgreSQL refuses (a lock not granted in time, a
    /// partition an operator made that overlaps) is named in `done.problems` and tried next round.
    func apply(_ plan: PartitionPlan, into done: inout Upkeep.Done) throws(PGError) {
        for day in plan.create {
            if let moved = try change({ () throws(PGError) in try createDay(day) }, into: &done) {
                done.created.append(day.name)
                done.movedFromDefault += moved
            }
        }
        for name in plan.drop {
            let dropped: Void? = try change({ () throws(PGError) in
                try db.exec("DROP TABLE IF EXISTS \(PGConnection.quoteIdentifier(name))")
            }, into: &done)
            if dropped != nil { done.dropped.append(name) }
        }
    }

    /// One day's partition: created empty, given the default partition's rows of that day, attached.
    /// Returns how many rows moved. Skipped (0) when another fleetd made it first.
    private func createDay(_ day: PartitionPlan.Day) throws(PGError) -> Int {
        guard try !db.relationExists(day.name) else { return 0 }
        let name = PGConnection.quoteIdentifier(day.name)
        let from = Timestamp.formatRFC3339(ms: day.from * 1_000), to = Timestamp.formatRFC3339(ms: day.to * 1_000)
        try db.exec("CREATE TABLE \(name) (LIKE readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)")
        var moved = 0
        if try db.relationExists("readings_default") {
            moved = try db.exec("""
                WITH moved AS (DELETE FROM readings_default WHERE ts >= $1 AND ts < $2 RETURNING *)
                INSERT INTO \(name) SELECT * FROM moved
                """, [from, to]).affectedRows
        }
        try db.exec("ALTER TABLE readings ATTACH PARTITION \(name) FOR VALUES FROM ('\(from)') TO ('\(to)')")
        return moved
    }

    /// Runs `body` in its own transaction under the partition lock. A refusal is rolled back and kept
    /// in `done.problems` (nil returned); a lost connection is thrown.
    private func change<T>(_ body: () throws(PGError) -> T, into done: inout Upkeep.Done) throws(PGError) -> T? {
        do throws(PGError) {
            try db.exec("BEGIN")
            try db.exec("SET LOCAL lock_timeout = '\(Self.partitionLockTimeout)'")
            try db.exec("SELECT pg_advisory_xact_lock(\(Self.partitionLockKey))")
            let result = try body()
            try db.exec("COMMIT")
            return result
        } catch {
            if error.connectionLost || !db.isConnected { throw error }
            _ = try? db.exec("ROLLBACK")
            done.problems.append(error.description)
            return nil
        }
    }

    /// The days in [from, before) (days since 1970, UTC) of which rows wait in the default partition.
    private func waitingDays(from: Int64, before: Int64) throws(PGError) -> [Int64] {
        guard from < before, try db.relationExists("readings_default") else { return [] }
        let r = try db.exec("""
            SELECT DISTINCT floor(extract(epoch FROM ts) / 86400)::bigint FROM readings_default
            WHERE ts >= to_timestamp($1::float8 * 86400) AND ts < to_timestamp($2::float8 * 86400)
            """, [String(from), String(before)])
        return (0..<r.rowCount).compactMap { r.int($0, 0) }
    }
}

extension PostgresSink {
    /// One round of `upkeep`, dated by PostgreSQL's clock (the same for every fleetd). Afterwards the
    /// device times the partitions cover are known, to count readings that fall outside it.
    func upkeep(_ u: Upkeep) throws(PGError) -> Upkeep.Done {
        var done = Upkeep.Done()
        if let age = u.rejectedOlderThan { done.rejectedDeleted = try trim("rejected_messages", olderThan: age) }
        if let age = u.deadLettersOlderThan { done.deadLettersDeleted = try trim("dead_letters", olderThan: age) }
        guard let existing = try readingPartitions() else {
            partitionCoverage = nil
            return done
        }
        let now = try db.exec("SELECT floor(extract(epoch FROM now()))::bigint").int(0, 0) ?? 0
        let waiting = try waitingDays(from: PartitionPlan.oldestPastDay(nowSeconds: now, retention: u.readingsRetention),
                                      before: PartitionPlan.day(seconds: now))
        let plan = PartitionPlan(existing: existing, waitingDays: waiting, nowSeconds: now, retention: u.readingsRetention, daysAhead: u.daysAhead)
        try apply(plan, into: &done)
        if let age = u.readingsRetention { done.defaultDeleted = try trim("readings_default", olderThan: age) }
        let changed = !done.created.isEmpty || !done.dropped.isEmpty
        partitionCoverage = PartitionCoverage(changed ? try readingPartitions() ?? [] : existing)
        return done
    }
}
