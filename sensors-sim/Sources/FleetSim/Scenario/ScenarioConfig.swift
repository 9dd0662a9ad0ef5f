/// Everything that determines a scenario run: with the same config the output is identical.
public struct ScenarioConfig: Sendable, Equatable {
    public var name: String
    public var seed: UInt64 = 1
    public var vehicles = 500
    /// Simulated span, days (fractions allowed).
    public var days = 1.0
    /// Simulated start, Unix epoch ms (UTC). Midnight is a natural choice: shifts start in the morning.
    public var startMs: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
    public var sensors = SensorRealism()
    public var faults = FaultRates()
    /// Fraction of units that publish `fuel`, `odometer` and `gps` separately.
    public var splitSensorFraction = 0.4
    /// Share of cars, vans and trucks.
    public var mix: (car: Double, van: Double, truck: Double) = (0.5, 0.3, 0.2)
    /// Refuel when the level falls below this fraction of the tank (per-vehicle jitter added).
    public var refuelBelow = 0.22
    /// Sampling periods, ms.
    public var movingPeriodMs: Int64 = 10_000
    public var parkedPeriodMs: Int64 = 60_000
    /// The world's physics (the standard one, or hills and capacitive probes in cylinder tanks).
    public var physics = PhysicsModel.standard

    public var endMs: Int64 { startMs + Int64(days * 86_400_000) }

    public init(name: String) { self.name = name }

    public static func == (a: ScenarioConfig, b: ScenarioConfig) -> Bool {
        a.name == b.name && a.seed == b.seed && a.vehicles == b.vehicles && a.days == b.days
            && a.startMs == b.startMs && a.sensors == b.sensors && a.faults == b.faults
            && a.splitSensorFraction == b.splitSensorFraction && a.mix == b.mix
            && a.refuelBelow == b.refuelBelow && a.movingPeriodMs == b.movingPeriodMs
            && a.parkedPeriodMs == b.parkedPeriodMs && a.physics == b.physics
    }
}
