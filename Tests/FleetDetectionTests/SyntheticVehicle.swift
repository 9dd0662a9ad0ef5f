import FleetCore
import FleetSim
import SeededRandom

/// A hand-built telemetry stream: stops and drives with a true level that the test controls.
struct SyntheticVehicle {
    var id = "t1"
    var tankL: Double
    /// Probe noise σ as a fraction of the tank.
    var noise: Double
    var rng: SimRandom
    var ts: Int64 = 1_767_225_600_000
    var odometer = 10_000.0
    var level: Double
    var readings: [Reading] = []

    init(tankL: Double, level: Double, noise: Double, seed: UInt64) {
        self.tankL = tankL
        self.level = level
        self.noise = noise
        rng = SimRandom(seed: seed)
    }

    mutating func emit(speed: Double, ignition: Bool, extra: Double = 0) {
        var v = level + extra + rng.normal(0, noise * tankL)
        v = (min(max(v, 0), tankL) * 10).rounded() / 10
        readings.append(Reading(vehicleID: id, channel: .telemetry, ts: ts, fuelL: v, odometerKm: odometer,
                                lat: 48.1, lon: 11.5, speedKmh: speed, ignition: ignition))
    }

    /// Parked with the ignition off, one reading a minute; `flowLpm` moves fuel in or out meanwhile.
    /// `tilt`: parked on a slope, the probe reads this share of the tank off the true level.
    mutating func park(minutes: Int, flowLpm: Double = 0, periodS: Int64 = 60, tilt: Double = 0) {
        let steps = Int64(minutes) * 60 / periodS
        for _ in 0..<steps {
            ts += periodS * 1000
            level = min(max(level + flowLpm * Double(periodS) / 60, 0), tankL)
            emit(speed: 0, ignition: false, extra: tilt * tankL)
        }
    }

    /// Parked with a unit that reports 0 while the ignition is off (one reading a minute), then woken for
    /// `wakeMinutes` at the spot, engine on, before it drives off.
    mutating func parkReportingZeros(minutes: Int, flowLpm: Double = 0, wakeMinutes: Int = 3, tilt: Double = 0) {
        for _ in 0..<minutes {
            ts += 60_000
            level = min(max(level + flowLpm, 0), tankL)
            readings.append(Reading(vehicleID: id, channel: .telemetry, ts: ts, fuelL: 0, odometerKm: odometer,
                                    lat: 48.1, lon: 11.5, speedKmh: 0, ignition: false))
        }
        for _ in 0..<(wakeMinutes * 6) {
            ts += 10_000
            emit(speed: 0, ignition: true, extra: tilt * tankL)
        }
    }

    /// Driving at 50 km/h with readings every 10 s; burns `lPer100` and sloshes by `slosh` × tank.
    /// `tilt`: on a grade, the probe reads this share of the tank off the true level.
    mutating func drive(minutes: Int, lPer100: Double = 10, slosh: Double = 0.03, tilt: Double = 0) {
        drive(readings: minutes * 6, lPer100: lPer100, slosh: slosh, tilt: tilt)
    }

    mutating func drive(readings: Int, lPer100: Double = 10, slosh: Double = 0.03, tilt: Double = 0) {
        for i in 0..<readings {
            ts += 10_000
            odometer += 50.0 / 360
            level -= lPer100 * 50.0 / 360 / 100
            let s = slosh * tankL * _sin(Double(i) * 0.7) + rng.normal(0, slosh * tankL / 2)
            emit(speed: 50, ignition: true, extra: s + tilt * tankL)
        }
        // Braking to the stop.
        ts += 10_000
        emit(speed: 0, ignition: true, extra: -slosh * tankL + tilt * tankL)
    }

    /// Driving while fuel is taken: minute by minute (each ending in a brake), `litres` gone evenly over
    /// `minutes` on top of the burn.
    mutating func drive(minutes: Int, lPer100: Double = 10, slosh: Double = 0.03, losing litres: Double) {
        for _ in 0..<minutes {
            drive(minutes: 1, lPer100: lPer100, slosh: slosh)
            level -= litres / Double(minutes)
        }
    }

    /// A day-like pattern: drive, stop, drive, with nothing but consumption happening.
    mutating func ordinaryDay(stops: Int) {
        for _ in 0..<stops {
            drive(minutes: 25)
            park(minutes: 30)
        }
    }
}

func runDetector(_ readings: [Reading], tankL: Double?) -> (events: [FuelEvent], detector: FuelDetector) {
    var d = FuelDetector(vehicleID: "t1", capacityL: tankL)
    var out: [FuelEvent] = []
    for r in readings { out += d.process(r) }
    out += d.finish()
    return (out, d)
}

extension FuelEvent {
    var transaction: FuelTransaction? { if case .transaction(let t) = self { t } else { nil } }
    var anomaly: FuelAnomaly? { if case .anomaly(let a) = self { a } else { nil } }
}
