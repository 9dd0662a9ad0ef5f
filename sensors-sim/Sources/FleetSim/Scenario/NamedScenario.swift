/// The named scenarios. Rates are per vehicle-day.
public enum NamedScenario: String, CaseIterable, Sendable {
    case clean, realistic, sloshHeavy = "slosh-heavy", faultySensors = "faulty-sensors", backlog

    /// Field-like rates: a theft in ~1 % of vehicle-days, a few sensor glitches.
    static var fieldRates: FaultRates {
        var f = FaultRates()
        f.drainParked = 0.012
        f.drainMoving = 0.002
        f.fuelDropout = 0.02
        f.fuelStuck = 0.005
        f.fuelOutOfRange = 0.003
        f.odometerRollback = 0.002
        f.odometerReset = 0.001
        f.odometerJump = 0.002
        f.gpsJump = 0.01
        f.gpsInvalid = 0.01
        f.clockSkew = 0.004
        f.offline = 0.03
        f.offlineMaxMinutes = 180
        f.duplicate = 0.002
        return f
    }

    public func config(seed: UInt64 = 1, vehicles: Int = 500, days: Double = 1) -> ScenarioConfig {
        var c = ScenarioConfig(name: rawValue)
        c.seed = seed
        c.vehicles = vehicles
        c.days = days
        switch self {
        case .clean:
            // Truth is plainly visible: no noise, no slosh, no faults; events still happen.
            c.sensors.fuelNoise = 0
            c.sensors.slosh = 0
            c.sensors.gpsNoiseM = 0
            c.sensors.rawProbeFraction = 0
            c.sensors.calibrationError = 0
            c.sensors.thermal = 0
            var f = FaultRates()
            f.drainParked = 0.02
            f.drainMoving = 0.004
            c.faults = f
        case .realistic:
            c.sensors.zeroOnIgnitionOffFraction = 0.05
            c.faults = Self.fieldRates
        case .sloshHeavy:
            // Rough roads and hard driving, and no theft at all: every drain reported is false.
            c.sensors.slosh = 2.5
            c.sensors.roughRoads = 1.5
            c.sensors.fuelNoise = 1.5
            var f = Self.fieldRates
            f.drainParked = 0
            f.drainMoving = 0
            c.faults = f
        case .faultySensors:
            c.sensors.fuelNoise = 2
            c.sensors.zeroOnIgnitionOffFraction = 0.2
            c.faults = Self.fieldRates.scaled(10)
            c.faults.drainParked = Self.fieldRates.drainParked
            c.faults.drainMoving = Self.fieldRates.drainMoving
            c.faults.offline = Self.fieldRates.offline
            c.faults.duplicate = Self.fieldRates.duplicate
        case .backlog:
            c.faults = Self.fieldRates
            c.faults.offline = 0.5
            c.faults.offlineMaxMinutes = 480
            c.faults.duplicate = 0.02
        }
        return c
    }
}
