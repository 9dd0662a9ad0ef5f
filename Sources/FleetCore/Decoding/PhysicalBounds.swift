/// Ranges outside which a well-typed value cannot be a measurement. Such a value is dropped
/// from its reading and reported as an `ImpossibleValue`, never rejected.
enum PhysicalBounds {
    static let fuelL = 0.0...100_000.0
    /// Percent of tank; 5 % above full is tolerated.
    static let fuelPct = 0.0...105.0
    static let odometerKm = 0.0...10_000_000.0
    static let lat = -90.0...90.0
    static let lon = -180.0...180.0
    static let speedKmh = 0.0...400.0
    static let headingDeg = 0.0...360.0
    static let engineHours = 0.0...1_000_000.0
}
