import FleetCore
import Foundation
import Prometheus

/// Every metric fleetd exposes, registered once at start (README, Metrics: dashboards and alerts depend on these names).
public final class FleetMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    let mqttMessagesReceived: Counter
    let mqttConnected: Gauge
    let mqttReconnects: Counter
    let readingsAccepted: Counter
    let readingsDuplicate: Counter
    let readingsLate: Counter
    let readingsRejected: [RejectReason: Counter]
    let impossibleValues: Counter
    let rowsWritten: [String: Counter]
    let batchCommitSeconds: DurationHistogram
    let batchRows: ValueHistogram
    let ingestLatencySeconds: DurationHistogram
    let spoolUsedBytes: Gauge
    let spoolCapacityBytes: Gauge
    let spoolProducerWaits: Counter
    let spoolUnreadableBytes: Counter
    let postgresConnected: Gauge
    let postgresErrors: Counter
    let vehiclesTracked: Gauge
    let operatorInputLoads: Counter
    let rejectionsOverBudget: Counter
    let vehiclesInMemory: Gauge
    let operatorRowsInvalid: [String: Counter]
    let vehiclesHolding: Gauge
    /// Shared detection (`--partitions`): partitions this instance owns, and how far its reading lags.
    let partitionsOwned: Gauge
    let detectionLagSeconds: Gauge
    let detectionOutOfOrder: Counter
    let deadLettersLost: Counter
    let readingsUnpartitioned: Counter
    let partitionsCreated: Counter
    let partitionsDropped: Counter
    let upkeepProblems: Counter
    let statusRefused: Counter
    let eventsPublished: [String: Counter]
    let eventPublishLag: Gauge
    let eventsUnpublishable: Counter
    let eventPublishRefusals: Counter
    /// Keyed by the core's own enums and made from all their cases: a new kind has its series.
    let fuelTransactions: [FuelTransaction.Kind: Counter]
    let anomalies: [Anomaly.Kind: Counter]
    let maintenanceAlerts: [MaintenanceAlert.Level: Counter]

    public init(version: String) {
        let r = registry
        mqttMessagesReceived = r.makeCounter(descriptor: .fleet("fleetd_mqtt_messages_received_total", "MQTT messages received and spooled."))
        mqttConnected = r.makeGauge(descriptor: .fleet("fleetd_mqtt_connected", "1 while connected and subscribed to the broker."))
        mqttReconnects = r.makeCounter(descriptor: .fleet("fleetd_mqtt_connects_total", "Successful broker connections, the first included."))
        readingsAccepted = r.makeCounter(descriptor: .fleet("fleetd_readings_accepted_total", "Readings decoded and committed to PostgreSQL (duplicates included)."))
        readingsDuplicate = r.makeCounter(descriptor: .fleet("fleetd_readings_duplicate_total", "Readings already stored (redelivery or repeat), not written again."))
        readingsLate = r.makeCounter(descriptor: .fleet("fleetd_readings_late_total", "Readings older than the reorder window: stored but not fed to detectors."))
        var rejected: [RejectReason: Counter] = [:]
        for reason in RejectReason.allCases {
            rejected[reason] = r.makeCounter(descriptor: .fleet("fleetd_readings_rejected_total", "Readings (or whole messages) refused, by reason; each refused message is one row in rejected_messages, within the per-vehicle budget."), labels: [("reason", reason.rawValue)])
        }
        readingsRejected = rejected
        impossibleValues = r.makeCounter(descriptor: .fleet("fleetd_impossible_values_total", "Physically impossible values dropped from otherwise kept readings."))
        var rows: [String: Counter] = [:]
        for table in ["readings", "rejected_messages", "vehicles", "fuel_transactions", "anomalies", "maintenance_alerts"] {
            rows[table] = r.makeCounter(descriptor: .fleet("fleetd_rows_written_total", "Rows inserted into PostgreSQL, by table."), labels: [("table", table)])
        }
        rowsWritten = rows
        batchCommitSeconds = r.makeDurationHistogram(
            descriptor: .fleet("fleetd_batch_commit_seconds", "Time to write and commit one batch."),
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)])
        batchRows = r.makeValueHistogram(
            descriptor: .fleet("fleetd_batch_rows", "Readings plus rejections per committed batch."),
            buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 50000])
        ingestLatencySeconds = r.makeDurationHistogram(
            descriptor: .fleet("fleetd_ingest_latency_seconds", "Time from MQTT receipt to PostgreSQL commit, per reading."),
            buckets: [.milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                      .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)])
        spoolUsedBytes = r.makeGauge(descriptor: .fleet("fleetd_spool_used_bytes", "Bytes in the spool not yet released: uncommitted, or kept for detector replay since the last snapshot."))
        spoolCapacityBytes = r.makeGauge(descriptor: .fleet("fleetd_spool_capacity_bytes", "Size of the spool's ring."))
        spoolProducerWaits = r.makeCounter(descriptor: .fleet("fleetd_spool_full_waits_total", "Messages that waited for spool space (back-pressure to the broker)."))
        spoolUnreadableBytes = r.makeCounter(descriptor: .fleet("fleetd_spool_unreadable_bytes_total", "Spool bytes skipped because a frame was torn (power cut)."))
        postgresConnected = r.makeGauge(descriptor: .fleet("fleetd_postgres_connected", "1 while the PostgreSQL connection works."))
        postgresErrors = r.makeCounter(descriptor: .fleet("fleetd_postgres_errors_total", "Failed batch writes or connection attempts (each retried)."))
        vehiclesTracked = r.makeGauge(descriptor: .fleet("fleetd_vehicles_tracked", "Distinct vehicles seen since start."))
        deadLettersLost = r.makeCounter(descriptor: .fleet("fleetd_dead_letters_lost_total", "Refused messages or event rows that dead_letters refused too (logged, then skipped)."))
        readingsUnpartitioned = r.makeCounter(descriptor: .fleet("fleetd_readings_unpartitioned_total", "Readings dated outside every day partition of readings (a unit's clock far off): stored in readings_default, deleted by age."))
        partitionsCreated = r.makeCounter(descriptor: .fleet("fleetd_partitions_created_total", "Day partitions of readings created ahead."))
        partitionsDropped = r.makeCounter(descriptor: .fleet("fleetd_partitions_dropped_total", "Partitions of readings dropped whole past --retention."))
        upkeepProblems = r.makeCounter(descriptor: .fleet("fleetd_upkeep_problems_total", "Partition changes PostgreSQL refused (a lock not granted in 2 s, an overlapping partition); retried every minute."))
        statusRefused = r.makeCounter(descriptor: .fleet("fleetd_status_writes_refused_total", "Writes of vehicle_status and vehicle_days PostgreSQL refused (a trigger, a broken table): those rows were dropped, the readings committed."))
        let published = MetricNameDescriptor.fleet("fleetd_events_published_total", "Committed events announced, by sink (notify: NOTIFY fleetd_events in the batch transaction; mqtt: acknowledged by the broker).")
        eventsPublished = Dictionary(uniqueKeysWithValues: ["notify", "mqtt"].map { ($0, r.makeCounter(descriptor: published, labels: [("sink", $0)])) })
        eventPublishLag = r.makeGauge(descriptor: .fleet("fleetd_event_publish_lag", "Events committed but not yet acknowledged by the MQTT broker."))
        eventsUnpublishable = r.makeCounter(descriptor: .fleet("fleetd_events_unpublishable_total", "Events passed over by the MQTT publisher because no broker takes them (payload over 256 KiB, topic too long); read them with fleetd events."))
        eventPublishRefusals = r.makeCounter(descriptor: .fleet("fleetd_event_publish_refusals_total", "Event publishes the broker refused (its ACL: fleetd's user needs write on the events prefix); retried from the cursor."))
        vehiclesHolding = r.makeGauge(descriptor: .fleet("fleetd_detector_vehicles_holding", "Vehicles whose latest readings wait out the reorder window, not yet fed to the detectors (as of the last commit)."))
        partitionsOwned = r.makeGauge(descriptor: .fleet("fleetd_detection_partitions_owned", "Detection partitions this instance owns (shared detection, --partitions; 0 otherwise)."))
        detectionLagSeconds = r.makeGauge(descriptor: .fleet("fleetd_detection_lag_seconds", "Shared detection: wall clock minus the receipt time of the newest reading read back (0 when caught up with nothing new)."))
        detectionOutOfOrder = r.makeCounter(descriptor: .fleet("fleetd_detection_out_of_order_total", "Shared detection: readings read back after one received later had been fed (their batch committed more than the merge lag after the others); fed at once, out of receipt order."))
        operatorInputLoads = r.makeCounter(descriptor: .fleet("fleetd_operator_inputs_loads_total", "Times vehicles, maintenance_plans and service_records were read (at start, when notified of an edit, and every 30 s)."))
        vehiclesInMemory = r.makeGauge(descriptor: .fleet("fleetd_detector_vehicles_in_memory", "Vehicles whose detector state is in memory (those idle longer than --vehicle-idle-evict are stored only; as of the last commit)."))
        rejectionsOverBudget = r.makeCounter(descriptor: .fleet("fleetd_rejections_over_budget_total", "Refused messages not stored in rejected_messages because their vehicle's budget per minute was spent (their reasons still count in fleetd_readings_rejected_total)."))
        var invalid: [String: Counter] = [:]
        for table in ["vehicles", "maintenance_plans", "service_records"] {
            invalid[table] = r.makeCounter(descriptor: .fleet("fleetd_operator_rows_invalid_total", "Operators' rows skipped because a value is out of range (each counted once until it changes); their vehicles run on defaults."), labels: [("table", table)])
        }
        operatorRowsInvalid = invalid
        let fuel = MetricNameDescriptor.fleet("fleetd_fuel_transactions_total", "Fuel transactions detected, by kind.")
        fuelTransactions = Dictionary(uniqueKeysWithValues: FuelTransaction.Kind.allCases.map {
            ($0, r.makeCounter(descriptor: fuel, labels: [("kind", $0.rawValue)]))
        })
        let flagged = MetricNameDescriptor.fleet("fleetd_anomalies_total", "Anomalies flagged, by kind.")
        anomalies = Dictionary(uniqueKeysWithValues: Anomaly.Kind.allCases.map {
            ($0, r.makeCounter(descriptor: flagged, labels: [("kind", $0.rawValue)]))
        })
        let raised = MetricNameDescriptor.fleet("fleetd_maintenance_alerts_total", "Maintenance alerts raised, by level.")
        maintenanceAlerts = Dictionary(uniqueKeysWithValues: MaintenanceAlert.Level.allCases.map {
            ($0, r.makeCounter(descriptor: raised, labels: [("level", $0.rawValue)]))
        })
        r.makeGauge(descriptor: .fleet("fleetd_build_info", "Always 1; the label carries the version."), labels: [("version", version)]).set(to: 1)
    }

    /// The exposition text, with the process metrics read from /proc at scrape time.
    public func exposition() -> [UInt8] {
        var out = registry.emitToBuffer()
        out.append(contentsOf: ProcessStats.read().exposition.utf8)
        return out
    }

    /// Events committed: rows inserted per event table (twins already stored are not), the NOTIFYs
    /// sent with them, and each detected event by kind. The pipeline and shared detection count alike.
    func recordEvents(_ events: [DetectionEvent], transactions: Int, anomalies: Int, alerts: Int) {
        rowsWritten["fuel_transactions"]?.increment(by: Int64(transactions))
        rowsWritten["anomalies"]?.increment(by: Int64(anomalies))
        rowsWritten["maintenance_alerts"]?.increment(by: Int64(alerts))
        eventsPublished["notify"]?.increment(by: Int64(transactions + anomalies + alerts))
        for e in events {
            switch e {
            case .transaction(let tx): fuelTransactions[tx.kind]?.increment()
            case .anomaly(let a): self.anomalies[a.kind]?.increment()
            case .maintenance(let m): maintenanceAlerts[m.level]?.increment()
            }
        }
    }

    /// One message or event row kept in `dead_letters`, by the SQLSTATE PostgreSQL refused it with
    /// (labels made on first use: the registry keeps one series per value).
    func deadLetter(sqlState: String?) {
        registry.makeCounter(descriptor: .fleet("fleetd_dead_letters_total", "Messages and event rows PostgreSQL refused for a reason a retry will not cure, kept in dead_letters."),
                             labels: [("sqlstate", sqlState ?? "none")]).increment()
    }
}

extension MetricNameDescriptor {
    /// A full metric name with its help text (names already carry their unit suffix).
    static func fleet(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
