import FleetCore
import SeededRandom
import Testing

/// A vehicle's latest state and its day totals, folded from readings that come on separate channels,
/// late, twice, and cut into batches anywhere: the result is what the readings say by device time.
@Suite struct FleetStatusTests {
    /// Random readings of a few vehicles over three days, on every channel, each with a distinct time.
    static func readings(_ rng: inout SimRandom, count: Int) -> [Reading] {
        var used = Set<Int64>()
        return (0..<count).map { _ in
            var ts: Int64
            repeat { ts = 1_767_225_600_000 + Int64(rng.next() % (3 * 86_400_000)) } while !used.insert(ts).inserted
            let vehicle = "v\(rng.next() % 3)"
            switch rng.next() % 4 {
            case 0: return Reading(vehicleID: vehicle, channel: .fuel, ts: ts, fuelL: rng.next() % 5 == 0 ? nil : Double(rng.next() % 400),
                                   fuelPct: rng.next() % 2 == 0 ? Double(rng.next() % 100) : nil)
            case 1: return Reading(vehicleID: vehicle, channel: .odometer, ts: ts, odometerKm: Double(rng.next() % 100_000))
            case 2: return Reading(vehicleID: vehicle, channel: .gps, ts: ts, lat: Double(rng.next() % 90), lon: Double(rng.next() % 180),
                                   speedKmh: Double(rng.next() % 120), headingDeg: rng.next() % 3 == 0 ? nil : Double(rng.next() % 360))
            default: return Reading(vehicleID: vehicle, channel: .telemetry, ts: ts, ignition: rng.next() % 2 == 0,
                                    engineHours: Double(rng.next() % 10_000))
            }
        }
    }

    /// A fuel level status takes: reported, and not only zeros (a dropped-out probe).
    static func isLevel(_ r: Reading) -> Bool {
        (r.fuelL != nil || r.fuelPct != nil) && ((r.fuelL ?? 0) != 0 || (r.fuelPct ?? 0) != 0)
    }

    static func fold(_ readings: [Reading]) -> FleetStatus {
        var s = FleetStatus()
        for r in readings { s.add(r, receivedAtNanos: 0) }
        return s
    }

    /// Folds batch by batch and merges the batches the way the tables do.
    static func foldInBatches(_ readings: [Reading], cuts: [Int]) -> (vehicles: [String: VehicleStatus], days: [VehicleDay.Key: VehicleDay]) {
        var vehicles: [String: VehicleStatus] = [:], days: [VehicleDay.Key: VehicleDay] = [:]
        var start = 0
        for end in cuts + [readings.count] where end >= start {
            let batch = fold(Array(readings[start..<end]))
            for (k, v) in batch.vehicles { if vehicles[k]?.merge(v) == nil { vehicles[k] = v } }
            for (k, d) in batch.days { if days[k]?.merge(d) == nil { days[k] = d } }
            start = end
        }
        return (vehicles, days)
    }

    @Test func eachPartIsTheLatestReadingThatCarriedItWhateverTheOrderAndTheBatches() {
        var rng = SimRandom(seed: 11)
        for _ in 0..<200 {
            let readings = Self.readings(&rng, count: 1 + Int(rng.next() % 60))
            let reference = Self.fold(readings)
            // Every part against a plain search of the readings.
            for (vehicle, status) in reference.vehicles {
                let own = readings.filter { $0.vehicleID == vehicle }
                func latest<T>(_ value: (Reading) -> T?) -> (Int64, T)? {
                    own.compactMap { r in value(r).map { (r.ts, $0) } }.max { $0.0 < $1.0 }
                }
                #expect(status.lastSeen == own.map(\.ts).max())
                #expect(status.odometerKm.map { ($0.ts, $0.value) } ?? (0, 0) == latest(\.odometerKm) ?? (0, 0))
                #expect(status.engineHours?.value == latest(\.engineHours)?.1)
                #expect(status.ignition?.value == latest(\.ignition)?.1)
                #expect(status.fuel?.ts == latest { Self.isLevel($0) ? true : nil }?.0)
                #expect(status.position?.ts == latest(\.lat)?.0)
            }
            for (key, day) in reference.days {
                let own = readings.filter { $0.vehicleID == key.vehicleID && $0.ts / 86_400_000 == key.day }
                let km = own.compactMap(\.odometerKm)
                #expect(day.odometerKm == (km.isEmpty ? nil : km.min()!...km.max()!))
                #expect(day.first == own.map(\.ts).min() && day.last == own.map(\.ts).max())
                let fuel = own.filter(Self.isLevel)
                #expect(day.firstFuel?.ts == fuel.map(\.ts).min() && day.lastFuel?.ts == fuel.map(\.ts).max())
            }
            // Shuffled, delivered twice, cut into batches: the same.
            var shuffled = readings + readings.prefix(Int(rng.next() % 10))
            shuffled.shuffle(using: &rng)
            let cuts = (0..<Int(rng.next() % 6)).map { _ in Int(rng.next() % UInt64(shuffled.count + 1)) }.sorted()
            let batched = Self.foldInBatches(shuffled, cuts: cuts)
            #expect(batched.vehicles == reference.vehicles)
            #expect(batched.days == reference.days)
        }
    }

    @Test func aProbeReadingZeroDoesNotHideTheLevel() {
        var s = FleetStatus()
        s.add(Reading(vehicleID: "v", channel: .fuel, ts: 1_000, fuelL: 212.5), receivedAtNanos: 0)
        s.add(Reading(vehicleID: "v", channel: .fuel, ts: 2_000, fuelL: 0), receivedAtNanos: 0)
        s.add(Reading(vehicleID: "v", channel: .fuel, ts: 3_000, fuelPct: 0), receivedAtNanos: 0)
        #expect(s.vehicles["v"]?.fuel?.value.litres == 212.5 && s.vehicles["v"]?.lastSeen == 3_000)
        #expect(s.days.values.first?.lastFuel?.ts == 1_000)
        s.add(Reading(vehicleID: "v", channel: .fuel, ts: 4_000, fuelL: 0.4), receivedAtNanos: 0)
        #expect(s.vehicles["v"]?.fuel?.value.litres == 0.4, "a low level is a level")
    }

    @Test func aLateReadingDoesNotReplaceANewerOne() {
        var s = FleetStatus()
        s.add(Reading(vehicleID: "v", channel: .fuel, ts: 2_000, fuelL: 80), receivedAtNanos: 1)
        s.add(Reading(vehicleID: "v", channel: .gps, ts: 3_000, lat: 52, lon: 4), receivedAtNanos: 2)
        s.add(Reading(vehicleID: "v", channel: .fuel, ts: 1_000, fuelL: 95), receivedAtNanos: 3)
        let v = s.vehicles["v"]!
        #expect(v.fuel == Stamped(ts: 2_000, value: FuelLevel(litres: 80, percent: nil)))
        #expect(v.position?.value == Position(lat: 52, lon: 4, headingDeg: nil))
        #expect(v.lastSeen == 3_000 && v.lastReceivedNanos == 3)
        let day = s.days.values.first!
        #expect(day.firstFuel?.value.litres == 95 && day.lastFuel?.value.litres == 80)
    }
}
