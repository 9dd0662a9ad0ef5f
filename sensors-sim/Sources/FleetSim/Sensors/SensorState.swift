import FleetCore
import SeededRandom

/// The telematics unit: which channels it publishes, when each is due, its counters and its
/// store-and-forward buffer.
struct SensorState {
    let channels: [Channel]
    var next: [Int64]
    var seq: [Int64]
    let periodOn: [Int64]
    let periodOff: [Int64]
    /// This unit's calibration: reported fraction = f × gain + bow × sin(π f).
    let gain: Double
    let bow: Double
    var lastFuelL: Double?
    var lastOdometer: Double?
    /// Store-and-forward: encoded reading objects per channel, and their true times.
    var backlog: [[UInt8]]
    var backlogEnds: [[Int]]
    var backlogTrue: [[Int64]]

    init(spec: VehicleSpec, env: SimEnvironment, start: Int64, rng: inout SimRandom) {
        let on = env.movingPeriodMs, off = env.parkedPeriodMs
        if spec.splitSensors {
            channels = [.fuel, .odometer, .gps]
            // A fuel-level sensor reports often; odometer and GPS rarely while parked.
            periodOn = [2 * on, 3 * on, on]
            periodOff = [off, 5 * off, 5 * off]
        } else {
            channels = [.telemetry]
            periodOn = [on]
            periodOff = [off]
        }
        let sd = env.sensors.calibrationError
        gain = 1 + min(max(rng.normal(0, sd), -3 * sd), 3 * sd)
        bow = min(max(rng.normal(0, sd / 2), -1.5 * sd), 1.5 * sd)
        next = periodOff.map { start + Int64(rng.int(0, Int($0 / 1000) - 1)) * 1000 }
        seq = channels.map { _ in Int64(rng.int(0, 100_000)) }
        backlog = channels.map { _ in [] }
        backlogEnds = channels.map { _ in [] }
        backlogTrue = channels.map { _ in [] }
    }

    var nextDue: Int64 { next.min()! }

    /// What the probe reports for a physical level (litres), before noise and quantisation.
    func calibrated(_ level: Double, tank: Double) -> Double {
        let f = level / tank
        return tank * (f * gain + bow * _sin(Double.pi * min(max(f, 0), 1)))
    }

    /// Fuel temperature through the day, °C: coldest around 05:00, warmest around 17:00 (UTC as local).
    static func fuelTemperature(at t: Int64) -> Double {
        let hour = Double(((t % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000
        return 10 + 7 * _sin(2 * Double.pi * (hour - 11) / 24)
    }

    /// Units report at once on an ignition change, then on the new period.
    mutating func ignitionChanged(at t: Int64) {
        for i in next.indices { next[i] = t }
    }
}
