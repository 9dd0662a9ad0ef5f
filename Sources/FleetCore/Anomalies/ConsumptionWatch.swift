/// `consumption_outlier`: refuel-to-refuel consumption far above the vehicle's own baseline.
///
/// Each vehicle is judged against itself (a truck's normal is a car's outlier), on whole
/// refuel intervals, where level noise and slosh have settled out.
public struct ConsumptionWatch: Sendable, Equatable, Codable {
    /// Shorter intervals carry too much level-reading error per kilometre.
    public static let minDistanceKm = 50.0
    public static let baselineSize = 8
    public static let minBaselineIntervals = 3
    public static let factor = 1.5
    public static let minExcessFraction = 0.10
    /// Too few litres to tell from calibration error, whatever the ratio.
    public static let minExcessL = 5.0

    /// L/100 km of the last accepted intervals, oldest first.
    var recent: [Double] = []

    public init() {}

    public mutating func feed(_ tx: FuelTransaction) -> [Anomaly] {
        guard tx.kind == .refuel, let km = tx.distanceKm, let used = tx.fuelUsedL,
              km >= Self.minDistanceKm, used > 0 else { return [] }
        let consumption = used * 100 / km
        if recent.count >= Self.minBaselineIntervals {
            let baseline = Median.of(recent)
            let excessL = used - baseline * km / 100
            if consumption > Self.factor * baseline && excessL >= Self.minExcessFraction * used && excessL >= Self.minExcessL {
                // Kept out of the baseline, so a run of outliers keeps being judged against normal.
                return [Anomaly(vehicleID: tx.vehicleID, kind: .consumptionOutlier, ts: tx.startedAt, severity: .warning,
                                value: consumption, expected: baseline,
                                details: ["distance_km": .number(km), "fuel_used_l": .number(used),
                                          "baseline_l_per_100km": .number(baseline), "intervals": .number(Double(recent.count))])]
            }
        }
        recent.append(consumption)
        if recent.count > Self.baselineSize { recent.removeFirst() }
        return []
    }
}
