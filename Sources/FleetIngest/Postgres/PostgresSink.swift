import FleetCore
import LibPQ

/// Writes batches to PostgreSQL: one transaction per batch holding the readings, the refusals
/// and the spool checkpoint they cover, so a replay after any crash resumes exactly there.
final class PostgresSink {
    struct Written {
        var readingsInserted: Int
        var duplicates: Int
        var rejected: Int
        var vehiclesAdded: Int
        var transactions = 0
        var anomalies = 0
        var alerts = 0
        /// PostgreSQL refused the batch's vehicle status rows (they are dropped; the readings commit).
        var statusRefused: PGError?
        /// Readings dated outside every day partition (a unit's clock far off): they went to `readings_default`.
        var unpartitioned = 0

        static let none = Written(readingsInserted: 0, duplicates: 0, rejected: 0, vehiclesAdded: 0)

        /// Adds what another transaction of the same batch wrote.
        mutating func add(_ o: Written) {
            readingsInserted += o.readingsInserted
            duplicates += o.duplicates
            rejected += o.rejected
            vehiclesAdded += o.vehiclesAdded
            transactions += o.transactions
            anomalies += o.anomalies
            alerts += o.alerts
            unpartitioned += o.unpartitioned
            statusRefused = statusRefused ?? o.statusRefused
        }
    }

    let db: PGConnection
    private var knownVehicles: Set<String> = []
    private var readingsCopy = CopyBinaryEncoder(reservingCapacity: 1 << 20)
    private var rejectedCopy = CopyTextEncoder()
    /// Device times the partitions of `readings` cover, as of the last upkeep; nil before it, or when
    /// `readings` is not partitioned.
    var partitionCoverage: PartitionCoverage?

    /// Connects, selects the schema and prepares the per-session staging tables.
    init(conninfo: String, schema: String, statementTimeout: Duration = .zero) throws(PGError) {
        db = try PGConnection.session(conninfo, schema: schema, statementTimeout: statementTimeout)
        try db.exec("""
            SET synchronous_commit TO on;
            CREATE TEMP TABLE fleetd_stage_readings (LIKE readings) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE fleetd_stage_fuel ON COMMIT DELETE ROWS AS
                SELECT \(EventRows.transactionColumns) FROM fuel_transactions WITH NO DATA;
            CREATE TEMP TABLE fleetd_stage_anomalies ON COMMIT DELETE ROWS AS
                SELECT \(EventRows.anomalyColumns) FROM anomalies WITH NO DATA;
            CREATE TEMP TABLE fleetd_stage_alerts ON COMMIT DELETE ROWS AS
                SELECT \(EventRows.alertColumns) FROM maintenance_alerts WITH NO DATA;
            CREATE TEMP TABLE fleetd_stage_state ON COMMIT DELETE ROWS AS
                SELECT vehicle_id, state FROM vehicle_state WITH NO DATA;
            ALTER TABLE fleetd_stage_state ALTER COLUMN state SET STORAGE EXTERNAL;
            CREATE TEMP TABLE fleetd_stage_status ON COMMIT DELETE ROWS AS
                SELECT \(CopyBinaryEncoder.statusColumns) FROM vehicle_status WITH NO DATA;
            CREATE TEMP TABLE fleetd_stage_days ON COMMIT DELETE ROWS AS
                SELECT \(CopyBinaryEncoder.dayColumns) FROM vehicle_days WITH NO DATA;
            CREATE TEMP TABLE fleetd_stage_rejected ON COMMIT DELETE ROWS AS
                SELECT \(Self.rejectedColumns) FROM rejected_messages WITH NO DATA;
            LISTEN fleetd_config;
            """)
        let vehicles = try db.exec("SELECT vehicle_id FROM vehicles")
        for row in 0..<vehicles.rowCount { if let v = vehicles.string(row, 0) { knownVehicles.insert(v) } }
    }

    var isConnected: Bool { db.isConnected }

    static let readingColumns = CopyBinaryEncoder.readingColumns
    static let rejectedColumns = "received_at, topic, reason, detail, payload, spool_id, spool_position, item, readings_refused, reasons"

    /// What one transaction writes: a whole batch, or one piece of a refused batch being isolated
    /// (`RefusalIsolation`). Only `whole` and `close` move the checkpoint.
    enum Part: Equatable {
        case whole
        /// The rows of these messages (indices into the batch's spans): readings, refusals, new vehicles.
        case messages(Range<Int>)
        /// These event rows.
        case events(Range<Int>)
        /// Ticks, the detector snapshot when asked, and the checkpoint.
        case close(withSnapshot: Bool)
    }

    /// What one part of `batch` covers: its messages' rows, its event rows, and whether it closes the
    /// batch (ticks and checkpoint) with the detector snapshot.
    struct Scope {
        var messages: Range<Int>
        var events: Range<Int>
        var closing: Bool
        var snapshot: Bool
    }

    /// Batches left to write through the staging table after a duplicate was seen.
    private var stagedBatchesLeft = 0
    static let stagedBatchesAfterDuplicate = 20

    /// COPY straight into `readings` when no duplicate is expected (the common case, about
    /// twice as fast); a duplicate key rolls back to a savepoint and the batch goes through a
    /// staging table with `ON CONFLICT DO NOTHING`, as do the next batches for a while, since
    /// redeliveries come in runs. Returns the rows inserted.
    private func insertReadings() throws(PGError) -> Int {
        if stagedBatchesLeft == 0 {
            try db.exec("SAVEPOINT fleetd_direct")
            do throws(PGError) {
                let n = try db.copyIn("COPY readings (\(Self.readingColumns)) FROM STDIN (FORMAT binary)", bytes: readingsCopy.bytes)
                try db.exec("RELEASE SAVEPOINT fleetd_direct")
                return n
            } catch where error.sqlState == "23505" {
                try db.exec("ROLLBACK TO SAVEPOINT fleetd_direct")
                stagedBatchesLeft = Self.stagedBatchesAfterDuplicate
            }
        } else {
            stagedBatchesLeft -= 1
        }
        try db.copyIn("COPY fleetd_stage_readings (\(Self.readingColumns)) FROM STDIN (FORMAT binary)", bytes: readingsCopy.bytes)
        // Named columns: those fleetd does not write (the transaction id) take readings' own defaults.
        return try db.exec(
            "INSERT INTO readings (\(Self.readingColumns)) SELECT \(Self.readingColumns) FROM fleetd_stage_readings ON CONFLICT DO NOTHING"
        ).affectedRows
    }

    func ping() throws(PGError) { try db.exec("SELECT 1") }

    /// The committed position for this spool file, nil when it never committed here.
    func checkpoint(spoolID: String) throws(PGError) -> UInt64? {
        let r = try db.exec("SELECT position FROM ingest_checkpoint WHERE spool_id = $1", [spoolID])
        return r.rowCount == 1 ? r.int(0, 0).map { UInt64($0) } : nil
    }

    func write(_ batch: IngestBatch, spoolID: String, part: Part = .whole) throws(PGError) -> Written {
        let scope = part.scope(in: batch)
        let rows = batch.rows(of: scope.messages)
        readingsCopy.removeAll()
        var newVehicles: Set<String> = []
        var unpartitioned = 0
        let coverage = partitionCoverage
        let readings = batch.decoded.readings
        for i in rows.readings {
            let r = readings[i]
            readingsCopy.readingRow(r, receivedAtNanos: batch.receivedAtNanos[i])
            if !knownVehicles.contains(r.vehicleID) { newVehicles.insert(r.vehicleID) }
            if let coverage, !coverage.contains(r.ts) { unpartitioned += 1 }
        }
        readingsCopy.end()
        rejectedCopy.removeAll()
        for row in batch.rejected[rows.rejected] {
            rejectedCopy.timestamp(epochMicros: row.receivedAtNanos / 1_000)
            rejectedCopy.text(row.topic)
            rejectedCopy.plain(row.reason.rawValue)
            rejectedCopy.text(row.detail)
            row.payload.withUnsafeBytes { rejectedCopy.bytea($0) }
            rejectedCopy.plain(spoolID)
            rejectedCopy.int(Int64(row.position))
            rejectedCopy.int(0)  // one row per message now; the column stays in the content key
            rejectedCopy.int(Int64(row.readingsRefused))
            rejectedCopy.text(PGConnection.arrayLiteral(row.reasons.map(\.rawValue)))
            rejectedCopy.endRow()
        }

        var written = Written(readingsInserted: 0, duplicates: 0, rejected: 0, vehiclesAdded: 0)
        written.unpartitioned = unpartitioned
        do throws(PGError) {
            try db.exec("BEGIN")
            if !rows.readings.isEmpty {
                written.readingsInserted = try insertReadings()
                written.duplicates = rows.readings.count - written.readingsInserted
            }
            if !newVehicles.isEmpty {
                var list = CopyTextEncoder()
                for v in newVehicles { list.plain(v); list.endRow() }
                try db.exec("CREATE TEMP TABLE IF NOT EXISTS fleetd_stage_vehicles (vehicle_id text) ON COMMIT DELETE ROWS")
                try db.copyIn("COPY fleetd_stage_vehicles FROM STDIN", bytes: list.bytes)
                written.vehiclesAdded = try db.exec(
                    "INSERT INTO vehicles (vehicle_id) SELECT vehicle_id FROM fleetd_stage_vehicles ON CONFLICT DO NOTHING"
                ).affectedRows
            }
            if !rows.rejected.isEmpty {
                // Through staging: unique by content, a refusal replayed (or delivered again by the
                // broker after a crash) meets its stored twin and is skipped.
                try db.copyIn("COPY fleetd_stage_rejected (\(Self.rejectedColumns)) FROM STDIN", bytes: rejectedCopy.bytes)
                written.rejected = try db.exec("""
                    INSERT INTO rejected_messages (\(Self.rejectedColumns))
                    SELECT \(Self.rejectedColumns) FROM fleetd_stage_rejected ON CONFLICT DO NOTHING
                    """).affectedRows
            }
            if !scope.events.isEmpty { try writeEvents(Array(batch.events[scope.events]), into: &written) }
            if scope.closing {
                for tick in batch.ticks {
                    try db.exec("INSERT INTO detector_ticks (spool_id, position, clock_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                [spoolID, String(tick.position), String(tick.clockMs)])
                }
                if scope.snapshot, let s = batch.snapshot { try writeSnapshot(s, spoolID: spoolID) }
                if let s = batch.status { written.statusRefused = try writeStatusIfAccepted(s) }
                try db.exec("""
                    INSERT INTO ingest_checkpoint (spool_id, position) VALUES ($1, $2)
                    ON CONFLICT (spool_id) DO UPDATE SET position = excluded.position, updated_at = now()
                    """, [spoolID, String(batch.endPosition)])
            }
            try db.exec("COMMIT")
        } catch {
            if db.isConnected { _ = try? db.exec("ROLLBACK") }
            throw error
        }
        knownVehicles.formUnion(newVehicles)
        return written
    }
}

extension PostgresSink.Part {
    func scope(in batch: IngestBatch) -> PostgresSink.Scope {
        switch self {
        case .whole: PostgresSink.Scope(messages: batch.spans.indices, events: batch.events.indices, closing: true, snapshot: true)
        case .messages(let r): PostgresSink.Scope(messages: r, events: 0..<0, closing: false, snapshot: false)
        case .events(let r): PostgresSink.Scope(messages: 0..<0, events: r, closing: false, snapshot: false)
        case .close(let s): PostgresSink.Scope(messages: 0..<0, events: 0..<0, closing: true, snapshot: s)
        }
    }
}
