import FleetCore

/// Writes batches to PostgreSQL: one transaction per batch holding the readings, the refusals
/// and the spool checkpoint they cover, so a replay after any crash resumes exactly there.
final class PostgresSink {
    struct Written {
        var readingsInserted: Int
        var duplicates: Int
        var rejected: Int
        var vehiclesAdded: Int
    }

    private let db: PGConnection
    private var knownVehicles: Set<String> = []
    private var readingsCopy = CopyTextEncoder(reservingCapacity: 1 << 20)
    private var rejectedCopy = CopyTextEncoder()

    /// Connects, selects the schema and prepares the per-session staging tables.
    init(conninfo: String, schema: String) throws(PGError) {
        db = try PGConnection(conninfo)
        let quoted = PGConnection.quoteIdentifier(schema)
        try db.exec("""
            SET search_path TO \(quoted);
            SET synchronous_commit TO on;
            CREATE TEMP TABLE fleetd_stage_readings (
                vehicle_id text, channel text, ts_ms bigint, received_us bigint, seq bigint,
                fuel_l float8, fuel_pct float8, odometer_km float8, lat float8, lon float8,
                speed_kmh float8, heading_deg float8, ignition boolean, engine_hours float8
            ) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE fleetd_stage_rejected (
                received_us bigint, topic text, reason text, detail text, payload bytea
            ) ON COMMIT DELETE ROWS;
            """)
        let vehicles = try db.exec("SELECT vehicle_id FROM vehicles")
        for row in 0..<vehicles.rowCount { if let v = vehicles.string(row, 0) { knownVehicles.insert(v) } }
    }

    var isConnected: Bool { db.isConnected }

    func ping() throws(PGError) { try db.exec("SELECT 1") }

    /// The committed position for this spool file, nil when it never committed here.
    func checkpoint(spoolID: String) throws(PGError) -> UInt64? {
        let r = try db.exec("SELECT position FROM ingest_checkpoint WHERE spool_id = $1", [spoolID])
        return r.rowCount == 1 ? r.int(0, 0).map { UInt64($0) } : nil
    }

    func write(_ batch: IngestBatch, spoolID: String) throws(PGError) -> Written {
        readingsCopy.removeAll()
        var newVehicles: Set<String> = []
        let readings = batch.decoded.readings
        for i in readings.indices {
            let r = readings[i]
            readingsCopy.plain(r.vehicleID)
            readingsCopy.plain(r.channel.rawValue)
            readingsCopy.int(r.ts)
            readingsCopy.int(batch.receivedAtNanos[i] / 1_000)
            readingsCopy.int(r.seq)
            readingsCopy.double(r.fuelL)
            readingsCopy.double(r.fuelPct)
            readingsCopy.double(r.odometerKm)
            readingsCopy.double(r.lat)
            readingsCopy.double(r.lon)
            readingsCopy.double(r.speedKmh)
            readingsCopy.double(r.headingDeg)
            readingsCopy.bool(r.ignition)
            readingsCopy.double(r.engineHours)
            readingsCopy.endRow()
            if !knownVehicles.contains(r.vehicleID) { newVehicles.insert(r.vehicleID) }
        }
        rejectedCopy.removeAll()
        for row in batch.rejected {
            rejectedCopy.int(row.receivedAtNanos / 1_000)
            rejectedCopy.text(row.topic)
            rejectedCopy.plain(row.reason.rawValue)
            rejectedCopy.text(row.detail)
            row.payload.withUnsafeBytes { rejectedCopy.bytea($0) }
            rejectedCopy.endRow()
        }

        var written = Written(readingsInserted: 0, duplicates: 0, rejected: batch.rejected.count, vehiclesAdded: 0)
        do throws(PGError) {
            try db.exec("BEGIN")
            if !readings.isEmpty {
                try db.copyIn("COPY fleetd_stage_readings FROM STDIN", bytes: readingsCopy.bytes)
                let inserted = try db.exec("""
                    INSERT INTO readings (vehicle_id, channel, ts, received_at, seq, fuel_l, fuel_pct,
                        odometer_km, lat, lon, speed_kmh, heading_deg, ignition, engine_hours)
                    SELECT vehicle_id, channel,
                        'epoch'::timestamptz + ts_ms * interval '1 millisecond',
                        'epoch'::timestamptz + received_us * interval '1 microsecond',
                        seq, fuel_l, fuel_pct::float4, odometer_km, lat, lon,
                        speed_kmh::float4, heading_deg::float4, ignition, engine_hours
                    FROM fleetd_stage_readings
                    ON CONFLICT DO NOTHING
                    """)
                written.readingsInserted = inserted.affectedRows
                written.duplicates = readings.count - inserted.affectedRows
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
            if !batch.rejected.isEmpty {
                try db.copyIn("COPY fleetd_stage_rejected FROM STDIN", bytes: rejectedCopy.bytes)
                try db.exec("""
                    INSERT INTO rejected_messages (received_at, topic, reason, detail, payload)
                    SELECT 'epoch'::timestamptz + received_us * interval '1 microsecond', topic, reason, detail, payload
                    FROM fleetd_stage_rejected
                    """)
            }
            try db.exec("""
                INSERT INTO ingest_checkpoint (spool_id, position) VALUES ($1, $2)
                ON CONFLICT (spool_id) DO UPDATE SET position = excluded.position, updated_at = now()
                """, [spoolID, String(batch.endPosition)])
            try db.exec("COMMIT")
        } catch {
            if db.isConnected { _ = try? db.exec("ROLLBACK") }
            throw error
        }
        knownVehicles.formUnion(newVehicles)
        return written
    }
}
