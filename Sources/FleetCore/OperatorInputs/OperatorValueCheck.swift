/// Operators' rows (`vehicles`, `maintenance_plans`, `service_records`) come from people, scripts
/// and spreadsheets: each value is checked against the range in which it can mean something before
/// detection uses it. A row with a value outside is skipped whole (its vehicle runs on defaults) and
/// named, so one careless `INSERT` cannot stop fleetd nor make it raise nonsense.
///
/// The ranges are the database's CHECK constraints too; they are wide on purpose (a mining truck's
/// tank, a century-long interval) and only refuse what cannot be meant.
public enum OperatorValueRanges {
    /// Tank capacity and the volume thresholds, litres.
    public static let volumeL = 0.001...PhysicalBounds.fuelL.upperBound
    /// Idle burn, litres per hour (zero: the vehicle does not burn when idle).
    public static let idleBurnLph = 0.0...1_000.0
    /// Burn per km, litres.
    public static let burnPerKmL = 0.000_001...100.0
    /// Distances in km: stuck-gauge distance, service intervals, notices.
    public static let distanceKm = 0.0...PhysicalBounds.odometerKm.upperBound
    public static let settleAfterMotionS = 0.0...86_400.0
    public static let intervalDays: ClosedRange<Int64> = 1...36_500
    public static let noticeDays: ClosedRange<Int64> = 0...36_500
    public static let engineHours = 0.0...PhysicalBounds.engineHours.upperBound
}

/// Checks one row's values; `invalid` names the columns that were out of range.
public struct OperatorValueCheck: Sendable {
    public private(set) var invalid: [String] = []

    public init() {}

    public var isValid: Bool { invalid.isEmpty }

    /// The value if it is finite and in `range`; nil (and the column noted) otherwise. NULL stays nil.
    public mutating func value(_ v: Double?, _ column: String, in range: ClosedRange<Double>) -> Double? {
        guard let v else { return nil }
        guard v.isFinite, range.contains(v) else {
            invalid.append(column)
            return nil
        }
        return v
    }

    /// A strictly positive value in `range` (an interval or a threshold of zero means nothing).
    public mutating func positive(_ v: Double?, _ column: String, in range: ClosedRange<Double>) -> Double? {
        if let v, v == 0 {
            invalid.append(column)
            return nil
        }
        return value(v, column, in: range)
    }

    public mutating func integer(_ v: Int64?, _ column: String, in range: ClosedRange<Int64>) -> Int? {
        guard let v else { return nil }
        guard range.contains(v) else {
            invalid.append(column)
            return nil
        }
        return Int(v)
    }

    /// Seconds in `range` as whole milliseconds, without a conversion that could trap.
    public mutating func milliseconds(seconds v: Double?, _ column: String, in range: ClosedRange<Double>) -> Int64? {
        value(v, column, in: range).flatMap { Int64(exactly: ($0 * 1000).rounded()) }
    }

    /// A NOT NULL column that came back NULL (or a time that was not finite).
    public mutating func required<T>(_ v: T?, _ column: String) -> T? {
        if v == nil { invalid.append(column) }
        return v
    }
}
