/// A decision as it is stored: the `fuel_purchase_checks` row and the anomaly it raises, if any.
public struct PurchaseOutcome: Sendable, Equatable {
    /// matched, short, no_refuel or unverifiable.
    public var status: String
    public var refuelID: Int64?
    public var dispensedL: Double?
    public var missingL: Double?
    public var details: [String: DetailValue]
    public var anomaly: Anomaly?

    /// nil for `.wait`: nothing is stored until the data is in.
    public init?(_ d: PurchaseCheck.Decision, _ e: PurchaseCheck.Evidence) {
        let p = e.purchase
        details = ["purchased_l": .number(p.volumeL)]
        let t = p.purchasedAtMs
        if let fix = e.fixes.min(by: { abs($0.ms - t) < abs($1.ms - t) }) {
            details["vehicle_lat"] = .number(fix.lat)
            details["vehicle_lon"] = .number(fix.lon)
            details["vehicle_fix_at"] = .text(Timestamp.formatRFC3339(ms: fix.ms))
        }
        var kind: Anomaly.Kind?
        switch d {
        case .wait:
            return nil
        case .matched(let id, let dispensed, let tolerance):
            (status, refuelID, dispensedL) = ("matched", id, dispensed)
            details["tolerance_l"] = .number(tolerance)
        case .short(let id, let dispensed, let missing, let tolerance, let confidence):
            (status, refuelID, dispensedL, missingL) = ("short", id, dispensed, missing)
            details["tolerance_l"] = .number(tolerance)
            details["confidence"] = .number(confidence)
            kind = .fuelPurchaseShort
        case .noRefuel(let km):
            (status, missingL) = ("no_refuel", p.volumeL)
            if let km { details["station_distance_km"] = .number(km) }
            kind = .fuelPurchaseNoRefuel
        case .elsewhere(let km):
            (status, missingL) = ("no_refuel", p.volumeL)
            details["station_distance_km"] = .number(km)
            details["elsewhere"] = .flag(true)
            kind = .fuelPurchaseNoRefuel
        case .unverifiable:
            status = "unverifiable"
            details["reason"] = .text("no fuel readings around the purchase")
        }
        anomaly = kind.map {
            Anomaly(vehicleID: p.vehicleID, kind: $0, ts: p.purchasedAtMs, severity: .warning, value: missingL, expected: p.volumeL, details: details)
        }
    }
}
