import FleetCore

/// Detection events as COPY rows for the three event tables, written with the batch that caused them.
struct EventRows {
    var transactions = CopyTextEncoder()
    var anomalies = CopyTextEncoder()
    var alerts = CopyTextEncoder()
    var transactionCount = 0
    var anomalyCount = 0
    var alertCount = 0

    static let transactionColumns = "vehicle_id, kind, started_at, ended_at, volume_l, level_before_l, level_after_l, odometer_km, lat, lon, distance_km, fuel_used_l, km_per_l"
    static let anomalyColumns = "vehicle_id, kind, ts, severity, value, expected, details"
    static let alertColumns = "vehicle_id, service, trigger, level, ts, odometer_km, due_odometer_km, due_at, due_engine_hours, plan_id, interval_key"

    init(_ events: [DetectionEvent]) {
        for e in events {
            switch e {
            case .transaction(let tx): add(tx)
            case .anomaly(let a): add(a)
            case .maintenance(let m): add(m)
            }
        }
    }

    private mutating func add(_ tx: FuelTransaction) {
        transactions.plain(tx.vehicleID)
        transactions.plain(tx.kind.rawValue)
        transactions.timestamp(epochMicros: tx.startedAt * 1_000)
        transactions.timestamp(epochMicros: tx.endedAt * 1_000)
        transactions.double(tx.volumeL)
        transactions.double(tx.levelBeforeL)
        transactions.double(tx.levelAfterL)
        transactions.double(tx.odometerKm)
        transactions.double(tx.lat)
        transactions.double(tx.lon)
        transactions.double(tx.distanceKm)
        transactions.double(tx.fuelUsedL)
        transactions.double(tx.kmPerL)
        transactions.endRow()
        transactionCount += 1
    }

    private mutating func add(_ a: Anomaly) {
        anomalies.plain(a.vehicleID)
        anomalies.plain(a.kind.rawValue)
        anomalies.timestamp(epochMicros: a.ts * 1_000)
        anomalies.plain(a.severity.rawValue)
        anomalies.double(a.value)
        anomalies.double(a.expected)
        anomalies.text(a.detailsJSON)
        anomalies.endRow()
        anomalyCount += 1
    }

    private mutating func add(_ m: MaintenanceAlert) {
        alerts.plain(m.vehicleID)
        alerts.text(m.service)
        alerts.plain(m.trigger.rawValue)
        alerts.plain(m.level.rawValue)
        alerts.timestamp(epochMicros: m.ts * 1_000)
        alerts.double(m.odometerKm)
        alerts.double(m.dueOdometerKm)
        if let due = m.dueAtMs { alerts.timestamp(epochMicros: due * 1_000) } else { alerts.null() }
        alerts.double(m.dueEngineHours)
        alerts.int(m.planID)
        alerts.int(m.intervalKey)
        alerts.endRow()
        alertCount += 1
    }
}

extension EventRows {
    /// One event as its table's name and COPY row: what `dead_letters` keeps of a refused event.
    static func row(_ event: DetectionEvent) -> (table: String, text: [UInt8]) {
        let rows = EventRows([event])
        switch event {
        case .transaction: return ("fuel_transactions", rows.transactions.bytes)
        case .anomaly: return ("anomalies", rows.anomalies.bytes)
        case .maintenance: return ("maintenance_alerts", rows.alerts.bytes)
        }
    }
}
