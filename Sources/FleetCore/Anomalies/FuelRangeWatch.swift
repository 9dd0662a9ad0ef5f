/// `fuel_out_of_range` from the level series, one flag per incident.
///
/// An incident is a run of impossible levels; it ends at the next plausible level, so a probe
/// that reads 120 % for an hour is one flag, not thousands.
public struct FuelRangeWatch: Sendable, Equatable, Codable {
    /// 5 % above full is tolerated (README, Detection): probes read high when fuel is warm or sloshing.
    public static let capacityTolerance = 1.05
    public static let maxPct = 105.0

    var inIncident = false

    public init() {}

    /// `capacityL` is the tank's capacity when the vehicle's is known.
    public mutating func feed(_ r: Reading, capacityL: Double?) -> [Anomaly] {
        let verdict = Self.judge(r, capacityL: capacityL)
        switch verdict {
        case .noLevel:
            return []  // an odometer or GPS reading says nothing about the tank
        case .inRange:
            inIncident = false
            return []
        case .outOfRange(let value, let unit):
            guard !inIncident else { return [] }
            inIncident = true
            var details: [String: DetailValue] = ["channel": .text(r.channel.rawValue)]
            if let capacityL { details["capacity_l"] = .number(capacityL) }
            if let unit { details["unit"] = .text(unit) }
            if value == nil { details["reason"] = .text("dropped by the decoder: below 0 or above any tank") }
            return [Anomaly(vehicleID: r.vehicleID, kind: .fuelOutOfRange, ts: r.ts, severity: .warning, value: value,
                            expected: capacityL, details: details)]
        }
    }

    enum Verdict: Equatable {
        case noLevel
        case inRange
        /// The level seen (nil when the decoder dropped it) and its unit when known.
        case outOfRange(Double?, String?)
    }

    static func judge(_ r: Reading, capacityL: Double?) -> Verdict {
        if let l = r.fuelL, l < 0 || (capacityL.map { l > $0 * capacityTolerance } ?? false) {
            return .outOfRange(l, "l")
        }
        // The decoder drops percentages outside 0...105; checked again so the rule holds on its own.
        if let p = r.fuelPct, p < 0 || p > maxPct {
            return .outOfRange(p, "pct")
        }
        if r.flags.contains(.fuelOutOfRange) {
            // The flag does not say which field went; the one still present did not.
            let unit: String? = r.fuelL != nil ? "pct" : r.fuelPct != nil ? "l" : nil
            return .outOfRange(nil, unit)
        }
        return r.fuelL != nil || r.fuelPct != nil ? .inRange : .noLevel
    }
}
