/// Everything detection reports, as rows for fleetd's event tables (README, Reference).
public enum DetectionEvent: Sendable, Equatable {
    case transaction(FuelTransaction)
    case anomaly(Anomaly)
    case maintenance(MaintenanceAlert)
}

extension DetectionEvent {
    /// A fuel detector's finding as the rows of its tables: every drain is also a `fuel_drain` anomaly.
    static func from(_ e: FuelEvent, into out: inout [DetectionEvent]) {
        switch e {
        case .transaction(let tx):
            out.append(.transaction(tx))
            if tx.kind == .drain { out.append(.anomaly(Anomaly(drain: tx))) }
        case .anomaly(let a):
            out.append(.anomaly(Anomaly(a)))
        }
    }
}

extension Anomaly {
    /// The anomaly side of a drain transaction.
    init(drain tx: FuelTransaction) {
        let minutes = Double(tx.endedAt - tx.startedAt) / 60_000
        var details: [String: DetailValue] = [
            "level_before_l": .number(tx.levelBeforeL), "level_after_l": .number(tx.levelAfterL),
            "volume_l": .number(tx.volumeL), "duration_minutes": .number(minutes),
            "state": .text(tx.moving ? "moving" : "parked"),
        ]
        if minutes > 0 { details["rate_l_per_min"] = .number(tx.volumeL / minutes) }
        if let o = tx.odometerKm { details["odometer_km"] = .number(o) }
        if let r = tx.road {
            // The evidence for a loss on the road: observed against expected, and the model behind it.
            details["distance_km"] = .number(r.distanceKm)
            details["observed_drop_l"] = .number(r.observedDropL)
            details["expected_burn_l"] = .number(r.expectedBurnL)
            details["volume_error_l"] = .number(r.sigmaL)
            details["consumption_model"] = .text(r.learnedLPer100Km == nil ? "bound" : "learned")
            if let c = r.learnedLPer100Km { details["consumption_l_per_100km"] = .number(c) }
            details["legs_learned"] = .number(Double(r.legs))
            if r.sigmaL > 0 { details["confidence_sigmas"] = .number((r.observedDropL - r.expectedBurnL) / r.sigmaL) }
        }
        self.init(vehicleID: tx.vehicleID, kind: .fuelDrain, ts: tx.startedAt, severity: tx.volumeL >= 50 ? .critical : .warning,
                  value: tx.levelAfterL, expected: tx.levelBeforeL, details: details)
    }

    /// A fuel-sensor flag as an anomalies row.
    init(_ a: FuelAnomaly) {
        var details: [String: DetailValue] = [
            "duration_minutes": .number(Double(a.durationMs) / 60_000), "readings": .number(Double(a.readings)),
        ]
        if let d = a.distanceKm { details["distance_km"] = .number(d) }
        let kind: Kind = a.kind == .fuelSensorStuck ? .fuelSensorStuck : .fuelDropout
        self.init(vehicleID: a.vehicleID, kind: kind, ts: a.ts, severity: Severity(rawValue: a.severity) ?? .warning,
                  value: a.value, expected: a.expected, details: details)
    }
}
