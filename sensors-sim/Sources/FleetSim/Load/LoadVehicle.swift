import FleetCore
import SeededRandom

/// A cheap synthetic vehicle for load mode: plausible, varying values without physics.
struct LoadVehicle {
    let id: String
    let split: Bool
    var ts: Int64
    var seq: Int64 = 0
    var fuel: Double
    var odometer: Double
    var lat: Double
    var lon: Double
    var speed: Double
    var heading: Double
    var engineHours: Double
    var nextChannel = 0

    init(index: Int, split: Bool, firstTs: Int64, rng: inout SimRandom) {
        id = VehicleSpec.id(index)
        self.split = split
        ts = firstTs + Int64(rng.int(0, 999))
        fuel = rng.uniform(20, 60)
        odometer = rng.uniform(10_000, 300_000)
        lat = 52.52 + rng.uniform(-0.5, 0.5)
        lon = 13.40 + rng.uniform(-0.8, 0.8)
        speed = rng.uniform(0, 90)
        heading = rng.uniform(0, 359)
        engineHours = odometer / 35
    }

    /// Appends the next reading and returns its channel.
    mutating func appendNext(to buf: inout [UInt8], rng: inout SimRandom) -> Channel {
        ts += 1000
        seq += 1
        speed = min(max(speed + rng.uniform(-3, 3), 0), 110)
        let km = speed / 3600
        odometer += km
        fuel = fuel > 3 ? fuel - km * 0.08 : 55
        heading = (heading + rng.uniform(-4, 4) + 360).truncatingRemainder(dividingBy: 360)
        lat += km / 111.3 * _cos(heading * Double.pi / 180)
        lon += km / 68 * _sin(heading * Double.pi / 180)
        engineHours += 1.0 / 3600
        let ch: Channel
        if split {
            ch = [Channel.fuel, .odometer, .gps][nextChannel]
            nextChannel = (nextChannel + 1) % 3
        } else {
            ch = .telemetry
        }
        var s = Reading(vehicleID: id, channel: ch, ts: ts, seq: seq)
        if ch == .telemetry || ch == .fuel { s.fuelL = (fuel * 10).rounded() / 10 }
        if ch == .telemetry || ch == .odometer {
            s.odometerKm = odometer
            s.ignition = true
            s.engineHours = engineHours
        }
        if ch == .telemetry || ch == .gps {
            s.lat = lat
            s.lon = lon
            s.speedKmh = speed
            s.headingDeg = heading.rounded().truncatingRemainder(dividingBy: 360)
        }
        s.appendJSON(to: &buf)
        return ch
    }
}
