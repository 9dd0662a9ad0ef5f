import FleetCore
import Foundation
import LibPQ
import Logging

/// Decides each fuel card purchase against what fleetd measured (`PurchaseCheck`) once its data is
/// in: one row in `fuel_purchase_checks`, and for a shortfall, a purchase without a refuel or a card
/// used away from the vehicle an anomaly too (so it reaches the event feed and MQTT). A purchase is
/// decided once; an operator's edit (updated_at after decided_at) has it decided again. Runs on its
/// own thread and connection, a round a minute, so ingest never waits for it.
public final class PurchaseReconciler: @unchecked Sendable {
    private let conninfo: String
    private let schema: String
    private let statementTimeout: Duration
    private let metrics: FleetMetrics
    private let logger: Logger
    private let ready: @Sendable () -> Bool
    private let worker = WorkerThread()
    let limits = PurchaseCheck.Limits()
    static let pageSize = 500
    /// One fleetd decides at a time.
    static let lockKey: Int64 = 0x0F1E_E7D0_0005

    public init(conninfo: String, schema: String, statementTimeout: Duration, metrics: FleetMetrics, logger: Logger,
                ready: @escaping @Sendable () -> Bool) {
        self.conninfo = conninfo
        self.schema = schema
        self.statementTimeout = statementTimeout
        self.metrics = metrics
        self.logger = logger
        self.ready = ready
    }

    public func start() { worker.start("fleetd-purchases") { [self] in run() } }

    public func stop() { worker.stop() }

    private var stopping: Bool { worker.stopping }

    private func run() {
        while !ready() && !worker.pause(.milliseconds(100)) {}
        var db: PGConnection?
        var failureLog = LogThrottle()
        while !stopping {
            do {
                if db == nil { db = try connect() }
                let decided = try round(db!)
                if decided > 0 { logger.info("fuel purchases decided", metadata: ["count": "\(decided)"]) }
                failureLog.reset()
            } catch {
                db = nil
                if failureLog.allows("\(error)") {
                    logger.error("fuel purchase checks failed; retrying in a minute", metadata: ["error": "\(error)"])
                }
            }
            worker.pause(.seconds(60))
        }
    }

    private func connect() throws(PGError) -> PGConnection {
        try PGConnection.session(conninfo, schema: schema, statementTimeout: statementTimeout)
    }

    /// Every purchase not decided yet (or edited since), page by page; returns how many were decided.
    func round(_ db: PGConnection) throws(PGError) -> Int {
        try db.exec("BEGIN")
        guard try db.exec("SELECT pg_try_advisory_xact_lock(\(Self.lockKey))").string(0, 0) == "t" else {
            try db.exec("ROLLBACK")
            return 0
        }
        try db.exec("COMMIT")
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        var after: Int64 = 0
        var decided = 0
        while !stopping {
            let epoch = PGConnection.epochMilliseconds
            let page = try db.exec("""
                SELECT p.id, p.vehicle_id, \(epoch("p.purchased_at")), p.volume_l, p.lat, p.lon FROM fuel_purchases p
                LEFT JOIN fuel_purchase_checks c ON c.purchase_id = p.id
                WHERE p.id > $1 AND (c.purchase_id IS NULL OR c.decided_at < p.updated_at)
                ORDER BY p.id LIMIT \(Self.pageSize)
                """, [String(after)])
            guard page.rowCount > 0 else { break }
            try db.exec("BEGIN")
            for i in 0..<page.rowCount {
                guard let id = page.int(i, 0), let vehicle = page.string(i, 1), let ms = page.int(i, 2), let volume = page.double(i, 3) else { continue }
                after = id
                let purchase = FuelPurchase(vehicleID: vehicle, purchasedAtMs: ms, volumeL: volume, lat: page.double(i, 4), lon: page.double(i, 5))
                let evidence = try gather(db, purchaseID: id, purchase, nowMs: nowMs)
                guard let outcome = PurchaseOutcome(PurchaseCheck.decide(evidence, limits), evidence) else { continue }
                try write(db, purchaseID: id, outcome)
                decided += 1
            }
            try db.exec("COMMIT")
        }
        return decided
    }

    /// What fleetd knows around the purchase: its vehicle's refuels not matched to another purchase,
    /// the fuel readings either side, the latest one, the GPS fix nearest in time.
    private func gather(_ db: PGConnection, purchaseID: Int64, _ p: FuelPurchase, nowMs: Int64) throws(PGError) -> PurchaseCheck.Evidence {
        var e = PurchaseCheck.Evidence(purchase: p, nowMs: nowMs)
        let epoch = PGConnection.epochMilliseconds
        let at = "to_timestamp($2::float8 / 1000)"
        let params = [p.vehicleID, String(p.purchasedAtMs), String(purchaseID)]
        let refuels = try db.exec("""
            SELECT t.id, \(epoch("t.started_at")), \(epoch("t.ended_at")), t.volume_l,
                   (SELECT array_agg(r.fuel_l ORDER BY r.ts)::text FROM readings r WHERE r.vehicle_id = t.vehicle_id AND r.fuel_l IS NOT NULL
                      AND r.ts > t.ended_at AND r.ts <= t.ended_at + interval '10 minutes')
            FROM fuel_transactions t
            WHERE t.vehicle_id = $1 AND t.kind = 'refuel'
              AND t.started_at <= \(at) + make_interval(secs => \(limits.beforeStartMs / 1000))
              AND t.ended_at >= \(at) - make_interval(secs => \(limits.afterEndMs / 1000))
              AND NOT EXISTS (SELECT 1 FROM fuel_purchase_checks c WHERE c.refuel_id = t.id AND c.purchase_id <> $3)
            """, params)
        for i in 0..<refuels.rowCount {
            guard let id = refuels.int(i, 0), let s = refuels.int(i, 1), let end = refuels.int(i, 2), let v = refuels.double(i, 3) else { continue }
            // Few readings after the fill: the probe's typical scatter stands in.
            let levels = (refuels.string(i, 4) ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",").compactMap { Double($0) }
            e.refuels.append(.init(id: id, startedAtMs: s, endedAtMs: end, volumeL: v, levelSigmaL: PurchaseCheck.levelSigma(levels) ?? 1))
        }
        let around = try db.exec("""
            SELECT (SELECT \(epoch("max(ts)")) FROM readings WHERE vehicle_id = $1 AND fuel_l IS NOT NULL AND ts <= \(at) AND ts > \(at) - interval '1 day'),
                   (SELECT \(epoch("min(ts)")) FROM readings WHERE vehicle_id = $1 AND fuel_l IS NOT NULL AND ts >= \(at) AND ts < \(at) + interval '1 day'),
                   (SELECT \(epoch("fuel_at")) FROM vehicle_status WHERE vehicle_id = $1),
                   EXISTS (SELECT 1 FROM anomalies WHERE vehicle_id = $1 AND kind = ANY($3::text[])
                           AND ts BETWEEN \(at) - make_interval(secs => \(PurchaseCheck.probeFaultBeforeMs / 1000))
                                      AND \(at) + make_interval(secs => \(PurchaseCheck.probeFaultAfterMs / 1000)))
            """, Array(params.prefix(2)) + [PGConnection.arrayLiteral(PurchaseCheck.probeFaults.map(\.rawValue))])
        e.fuelBeforeMs = around.int(0, 0)
        e.fuelAfterMs = around.int(0, 1)
        e.latestFuelMs = around.int(0, 2)
        e.probeFaulty = around.string(0, 3) == "t"
        let window = "make_interval(secs => \(limits.fixWithinMs / 1000))"
        let fixes = try db.exec("""
            SELECT \(epoch("ts")), lat, lon FROM readings
            WHERE vehicle_id = $1 AND lat IS NOT NULL AND ts BETWEEN \(at) - \(window) AND \(at) + \(window)
            ORDER BY ts LIMIT 2000
            """, Array(params.prefix(2)))
        for i in 0..<fixes.rowCount {
            if let ms = fixes.int(i, 0), let lat = fixes.double(i, 1), let lon = fixes.double(i, 2) { e.fixes.append(PurchaseCheck.Fix(ms: ms, lat: lat, lon: lon)) }
        }
        return e
    }

    private func write(_ db: PGConnection, purchaseID: Int64, _ o: PurchaseOutcome) throws(PGError) {
        let details = Anomaly.json(o.details)
        try db.exec("""
            INSERT INTO fuel_purchase_checks (purchase_id, status, refuel_id, dispensed_l, missing_l, details)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            ON CONFLICT (purchase_id) DO UPDATE SET status = excluded.status, refuel_id = excluded.refuel_id, dispensed_l = excluded.dispensed_l,
                missing_l = excluded.missing_l, details = excluded.details, decided_at = now()
            """, [String(purchaseID), o.status, o.refuelID.map(String.init), o.dispensedL.map { String($0) }, o.missingL.map { String($0) }, details])
        guard let a = o.anomaly else { return }
        // Announced like the pipeline's events: the feed, NOTIFY and MQTT carry it.
        try PostgresSink.lockEventOrder(db)
        let r = try db.exec(PostgresSink.notifying("anomalies", """
            INSERT INTO anomalies (vehicle_id, kind, ts, severity, value, expected, details)
            VALUES ($1, $2, to_timestamp($3::float8 / 1000), $4, $5, $6, $7::jsonb) ON CONFLICT DO NOTHING
            """), [a.vehicleID, a.kind.rawValue, String(a.ts), a.severity.rawValue, a.value.map { String($0) }, a.expected.map { String($0) }, a.detailsJSON])
        if r.int(0, 0) == 1 { metrics.anomalies[a.kind]?.increment() }
    }
}
