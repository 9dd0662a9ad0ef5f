import FleetCore
import LibPQ

/// What the detectors write and read: events, snapshots and ticks, and the operators' inputs.
extension PostgresSink {
    /// Events go through staging tables so a replayed event meets its stored twin and is skipped
    /// (`ON CONFLICT DO NOTHING` on each table's natural key). Each row inserted is announced with
    /// `NOTIFY fleetd_events` in the same transaction: listeners hear of it at commit, and never of a
    /// batch that rolled back.
    func writeEvents(_ events: [DetectionEvent], into written: inout Written) throws(PGError) {
        let rows = EventRows(events)
        if rows.transactionCount + rows.anomalyCount + rows.alertCount > 0 { try Self.lockEventOrder(db) }
        if rows.transactionCount > 0 {
            try db.copyIn("COPY fleetd_stage_fuel (\(EventRows.transactionColumns)) FROM STDIN", bytes: rows.transactions.bytes)
            written.transactions = try insertNotifying("fuel_transactions", EventRows.transactionColumns, from: "fleetd_stage_fuel",
                                                       kind: "kind", ts: "started_at")
        }
        if rows.anomalyCount > 0 {
            try db.copyIn("COPY fleetd_stage_anomalies (\(EventRows.anomalyColumns)) FROM STDIN", bytes: rows.anomalies.bytes)
            written.anomalies = try insertNotifying("anomalies", EventRows.anomalyColumns, from: "fleetd_stage_anomalies", kind: "kind", ts: "ts")
        }
        if rows.alertCount > 0 {
            try db.copyIn("COPY fleetd_stage_alerts (\(EventRows.alertColumns)) FROM STDIN", bytes: rows.alerts.bytes)
            written.alerts = try insertNotifying("maintenance_alerts", EventRows.alertColumns, from: "fleetd_stage_alerts", kind: "level", ts: "ts")
        }
    }

    /// Inserts the staged rows not stored yet and notifies each, in feed order; returns how many.
    private func insertNotifying(_ table: String, _ columns: String, from stage: String, kind: String, ts: String) throws(PGError) -> Int {
        let r = try db.exec(Self.notifying(table, "INSERT INTO \(table) (\(columns)) SELECT \(columns) FROM \(stage) ON CONFLICT DO NOTHING",
                                           kind: kind, ts: ts))
        return Int(r.int(0, 0) ?? 0)
    }

    /// `insert` (an INSERT into the event table `table`, without RETURNING) with each row it inserts
    /// announced on `NOTIFY fleetd_events` in feed order, in the same transaction; the statement
    /// returns how many. Every writer of events announces them this one way.
    static func notifying(_ table: String, _ insert: String, kind: String = "kind", ts: String = "ts") -> String {
        """
        WITH ins AS (\(insert) RETURNING event_seq, id, \(kind) AS kind, vehicle_id, \(ts) AS ts)
        SELECT count(pg_notify('\(eventsChannel)', json_build_object('seq', event_seq, 'table', '\(table)', 'id', id, 'kind', kind,
                                                         'vehicle_id', vehicle_id, 'ts', fleetd_rfc3339(ts))::text))
        FROM (SELECT * FROM ins ORDER BY event_seq) n
        """
    }

    static let eventsChannel = "fleetd_events"

    /// Taken by every transaction that writes events, before it numbers them, until it ends: with
    /// several writers (instances sharing detection, the purchase reconciler) the feed's numbers then
    /// follow commit order, so a reader resuming after a number never passes over one that commits
    /// later. Events are few: the wait is short.
    static func lockEventOrder(_ db: PGConnection) throws(PGError) {
        try db.exec("SELECT pg_advisory_xact_lock(\(eventOrderLockKey))")
    }

    /// Arbitrary constant, in the series of the migrator's and the publisher's keys.
    static let eventOrderLockKey: Int64 = 0x0F1E_E7D0_0006

    /// Vehicles' detector states, inside the caller's transaction.
    func writeStates(_ states: [(vehicleID: String, bytes: [UInt8])]) throws(PGError) {
        guard !states.isEmpty else { return }
        // Binary: a state goes as its bytes, not as twice as many hex digits for PostgreSQL to decode.
        var copy = CopyBinaryEncoder(reservingCapacity: states.reduce(64) { $0 + $1.bytes.count + 32 })
        for (id, bytes) in states {
            copy.beginRow(fields: 2)
            copy.plain(id)
            copy.bytea(bytes)
        }
        copy.end()
        try db.copyIn("COPY fleetd_stage_state (vehicle_id, state) FROM STDIN (FORMAT binary)", bytes: copy.bytes)
        try db.exec("""
            INSERT INTO vehicle_state (vehicle_id, state) SELECT vehicle_id, state FROM fleetd_stage_state
            ON CONFLICT (vehicle_id) DO UPDATE SET state = excluded.state, updated_at = now()
            """)
    }

    func writeSnapshot(_ snapshot: DetectorSnapshot, spoolID: String) throws(PGError) {
        try writeStates(snapshot.states)
        let params = [spoolID, String(snapshot.position), String(snapshot.clockMs)]
        try db.exec("""
            INSERT INTO detector_checkpoint (spool_id, position, clock_ms) VALUES ($1, $2, $3)
            ON CONFLICT (spool_id) DO UPDATE SET position = excluded.position, clock_ms = excluded.clock_ms, updated_at = now()
            """, params)
        try db.exec("DELETE FROM detector_ticks WHERE spool_id = $1 AND position < $2", [spoolID, String(snapshot.position)])
    }

    /// The stored detector states (any spool; those written more than `idleAfter` ago by id only), and
    /// this spool's snapshot position and later ticks.
    func loadDetection(spoolID: String, idleAfter: Duration?) throws(PGError) -> StoredDetection {
        var stored = StoredDetection()
        // One pass over the table: an idle vehicle's row comes without its state.
        let state = idleAfter.map { "CASE WHEN updated_at > now() - make_interval(secs => \($0.components.seconds)) THEN state END" } ?? "state"
        let states = try db.exec("SELECT vehicle_id, \(state) FROM vehicle_state")
        stored.states.reserveCapacity(states.rowCount)
        for i in 0..<states.rowCount {
            guard let id = states.string(i, 0) else { continue }
            if let bytes = states.bytea(i, 1) { stored.states.append((id, bytes)) } else { stored.idleVehicles.append(id) }
        }
        let cp = try db.exec("SELECT position, clock_ms FROM detector_checkpoint WHERE spool_id = $1", [spoolID])
        if cp.rowCount == 1, let p = cp.int(0, 0), let c = cp.int(0, 1) { stored.snapshot = (UInt64(p), c) }
        let ticks = try db.exec("SELECT position, clock_ms FROM detector_ticks WHERE spool_id = $1 ORDER BY position, clock_ms", [spoolID])
        for i in 0..<ticks.rowCount {
            if let p = ticks.int(i, 0), let c = ticks.int(i, 1) { stored.ticks.append(DetectorTick(position: UInt64(p), clockMs: c)) }
        }
        return stored
    }

    /// The stored states of these vehicles (those without one are missing from the answer).
    func loadStates(_ vehicleIDs: [String]) throws(PGError) -> [(vehicleID: String, bytes: [UInt8])] {
        let r = try db.exec("SELECT vehicle_id, state FROM vehicle_state WHERE vehicle_id = ANY($1::text[])",
                            [PGConnection.arrayLiteral(vehicleIDs)])
        return (0..<r.rowCount).compactMap { i in r.string(i, 0).flatMap { id in r.bytea(i, 1).map { (id, $0) } } }
    }

    /// Tank sizes, threshold overrides, maintenance plans, service records and the alerts already raised.
    func loadOperatorInputs() throws(PGError) -> OperatorInputs {
        var inputs = OperatorInputs()
        let v = try db.exec("""
            SELECT vehicle_id, tank_capacity_l, fuel_refuel_min_l, fuel_drain_min_l, fuel_trigger_l, fuel_idle_burn_lph,
                   fuel_max_burn_per_km_l, fuel_stuck_min_km, fuel_settle_after_motion_s FROM vehicles
            """)
        typealias R = OperatorValueRanges
        for i in 0..<v.rowCount {
            guard let id = v.string(i, 0) else { continue }
            var check = OperatorValueCheck()
            let o = FuelThresholdOverrides(
                refuelMinL: check.value(v.double(i, 2), "fuel_refuel_min_l", in: R.volumeL),
                drainMinL: check.value(v.double(i, 3), "fuel_drain_min_l", in: R.volumeL),
                triggerL: check.value(v.double(i, 4), "fuel_trigger_l", in: R.volumeL),
                idleBurnLph: check.value(v.double(i, 5), "fuel_idle_burn_lph", in: R.idleBurnLph),
                maxBurnPerKmL: check.value(v.double(i, 6), "fuel_max_burn_per_km_l", in: R.burnPerKmL),
                stuckMinDistanceKm: check.positive(v.double(i, 7), "fuel_stuck_min_km", in: R.distanceKm),
                settleAfterMotionMs: check.milliseconds(seconds: v.double(i, 8), "fuel_settle_after_motion_s", in: R.settleAfterMotionS))
            // A capacity of 0 has always meant "unknown", like NULL.
            let capacity = v.double(i, 1) == 0 ? nil : check.value(v.double(i, 1), "tank_capacity_l", in: R.volumeL)
            guard check.isValid else {
                inputs.invalid.append(InvalidOperatorRow(table: "vehicles", key: id, columns: check.invalid))
                continue
            }
            let c = VehicleConfig(capacityL: capacity, overrides: o)
            if c != VehicleConfig() { inputs.configs[id] = c }
        }
        let epoch = PGConnection.epochMilliseconds
        let p = try db.exec("""
            SELECT id, vehicle_id, service, interval_km, interval_days, interval_engine_hours, notice_km, notice_days,
                   \(epoch("created_at")) FROM maintenance_plans
            """)
        for i in 0..<p.rowCount {
            guard let id = p.int(i, 0), let service = p.string(i, 2) else { continue }
            var check = OperatorValueCheck()
            let plan = MaintenancePlanRow(
                id: id, vehicleID: p.string(i, 1), service: service,
                intervalKm: check.positive(p.double(i, 3), "interval_km", in: R.distanceKm),
                intervalDays: check.integer(p.int(i, 4), "interval_days", in: R.intervalDays),
                intervalEngineHours: check.positive(p.double(i, 5), "interval_engine_hours", in: R.engineHours),
                noticeKm: check.value(p.double(i, 6), "notice_km", in: R.distanceKm),
                noticeDays: check.integer(p.int(i, 7), "notice_days", in: R.noticeDays),
                createdAtMs: check.required(p.int(i, 8), "created_at") ?? 0)
            guard check.isValid else {
                inputs.invalid.append(InvalidOperatorRow(table: "maintenance_plans", key: String(id), columns: check.invalid))
                continue
            }
            inputs.plans.append(plan)
        }
        let r = try db.exec("""
            SELECT id, vehicle_id, service, \(epoch("performed_at")), odometer_km, engine_hours FROM service_records
            """)
        for i in 0..<r.rowCount {
            guard let id = r.int(i, 0), let vehicle = r.string(i, 1), let service = r.string(i, 2) else { continue }
            var check = OperatorValueCheck()
            let record = ServiceRecordRow(
                id: id, vehicleID: vehicle, service: service, performedAtMs: check.required(r.int(i, 3), "performed_at") ?? 0,
                odometerKm: check.value(r.double(i, 4), "odometer_km", in: R.distanceKm),
                engineHours: check.value(r.double(i, 5), "engine_hours", in: R.engineHours))
            guard check.isValid else {
                inputs.invalid.append(InvalidOperatorRow(table: "service_records", key: String(id), columns: check.invalid))
                continue
            }
            inputs.records.append(record)
        }
        let a = try db.exec("SELECT vehicle_id, plan_id, level, interval_key FROM maintenance_alerts WHERE plan_id IS NOT NULL")
        for i in 0..<a.rowCount {
            guard let v = a.string(i, 0), let plan = a.int(i, 1), let level = a.string(i, 2).flatMap(MaintenanceAlert.Level.init(rawValue:)),
                  let key = a.int(i, 3) else { continue }
            inputs.raised.insert(MaintenanceAlert.Key(vehicleID: v, planID: plan, level: level, intervalKey: key))
        }
        return inputs
    }

    /// Whether an operator changed `vehicles`, `maintenance_plans` or `service_records` (LISTEN).
    func configChanged() throws(PGError) -> Bool {
        try !db.notifications().isEmpty
    }
}

struct StoredDetection {
    var states: [(vehicleID: String, bytes: [UInt8])] = []
    /// Vehicles whose stored state was last written longer ago than the eviction age: by id only,
    /// loaded when they send again (a vehicle that idle holds no reading in its reorder window).
    var idleVehicles: [String] = []
    var snapshot: (position: UInt64, clockMs: Int64)?
    var ticks: [DetectorTick] = []
}

struct OperatorInputs {
    var configs: [String: VehicleConfig] = [:]
    var plans: [MaintenancePlanRow] = []
    var records: [ServiceRecordRow] = []
    var raised: Set<MaintenanceAlert.Key> = []
    /// Rows skipped because a value is out of range: their vehicles run on defaults.
    var invalid: [InvalidOperatorRow] = []
}

extension FleetDetection {
    /// The operators' tank sizes, thresholds, maintenance plans and records, and the alerts already raised.
    mutating func apply(_ inputs: OperatorInputs) {
        setConfigs(inputs.configs)
        setMaintenance(MaintenanceBook(plans: inputs.plans, records: inputs.records), raised: inputs.raised)
    }
}

/// An operator's row that was skipped, and why.
struct InvalidOperatorRow: Hashable {
    var table: String
    /// The row's key: `vehicle_id`, or the plan's or record's `id`.
    var key: String
    var columns: [String]
}
