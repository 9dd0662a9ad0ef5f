import SeededRandom
/// The fixed description of one simulated vehicle and its telematics unit.
public struct VehicleSpec: Sendable, Equatable {
    public var index: Int
    public var id: String
    public var vehicleClass: VehicleClass
    public var tankL: Double
    /// Driving consumption, L/100 km.
    public var consumptionL100: Double
    public var idleLph: Double
    /// Publishes separate `fuel`, `odometer` and `gps` sensors instead of `telemetry`.
    public var splitSensors: Bool
    /// Raw 0–4095 probe, published as `fuel_pct`.
    public var rawProbe: Bool
    /// Fuel sensor reads 0 while the ignition is off (probe powered from the ignition line).
    public var zeroOnIgnitionOff: Bool
    public var home: Point
    public var initialOdometerKm: Double
    public var initialEngineHours: Double
    public var initialFuelL: Double
    /// Minutes after midnight the working day starts, and its length in hours.
    public var shiftStartMin: Double
    public var shiftHours: Double
    /// Driver style: scales cruise speed and how hard they accelerate and brake.
    public var aggression: Double
    /// Refuel when below this fraction of the tank.
    public var refuelBelow: Double

    public static func id(_ index: Int) -> String {
        let s = String(index + 1)
        return "v" + String(repeating: "0", count: max(0, 5 - s.count)) + s
    }

    /// Rough km per working day, for seeding maintenance records that fall due during a run.
    var typicalDailyKm: Double {
        switch vehicleClass {
        case .car: 120
        case .van: 110
        case .truck: 450
        }
    }

    static func make(index: Int, config: ScenarioConfig, region: Region, rng: inout SimRandom) -> VehicleSpec {
        let u = rng.unit()
        let cls: VehicleClass = u < config.mix.car ? .car : u < config.mix.car + config.mix.van ? .van : .truck
        let tank = (rng.uniform(cls.tankRange.lowerBound, cls.tankRange.upperBound) / 5).rounded() * 5
        let r = region.radiusM * 0.6 * rng.unit().squareRoot()
        let a = rng.uniform(0, 2 * Double.pi)
        let odo = rng.uniform(cls.odometerRange.lowerBound, cls.odometerRange.upperBound)
        let avgKmh = cls == .truck ? 48.0 : 32.0
        return VehicleSpec(
            index: index, id: id(index), vehicleClass: cls, tankL: tank,
            consumptionL100: rng.uniform(cls.consumptionRange.lowerBound, cls.consumptionRange.upperBound),
            idleLph: rng.uniform(cls.idleBurnRange.lowerBound, cls.idleBurnRange.upperBound),
            splitSensors: rng.chance(config.splitSensorFraction),
            rawProbe: rng.chance(config.sensors.rawProbeFraction),
            zeroOnIgnitionOff: rng.chance(config.sensors.zeroOnIgnitionOffFraction),
            home: Point(x: r * _cos(a), y: r * _sin(a)),
            initialOdometerKm: odo,
            initialEngineHours: odo / avgKmh * rng.uniform(1.05, 1.3),
            initialFuelL: tank * rng.uniform(0.3, 0.95),
            shiftStartMin: rng.uniform(cls == .truck ? 240 : 360, cls == .truck ? 420 : 540),
            shiftHours: rng.uniform(cls == .truck ? 9 : 7, cls == .truck ? 12 : 10),
            aggression: rng.uniform(0.85, 1.2),
            refuelBelow: config.refuelBelow * rng.uniform(0.7, 1.3))
    }
}
