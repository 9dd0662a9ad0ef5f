import FleetCore
import Testing

/// Properties of the pure detector on synthetic streams, across tank sizes, noise levels and seeds.
@Suite struct FuelDetectorPropertyTests {
    static let tanks = [50.0, 80, 400]
    /// Probe noise σ from none to twice a typical capacitive probe (0.4 % of the tank).
    static let noises = [0.0, 0.002, 0.004, 0.008]

    @Test(arguments: tanks, noises)
    func constantLevelWithNoiseYieldsNothing(tank: Double, noise: Double) {
        for seed in UInt64(1)...4 {
            var v = SyntheticVehicle(tankL: tank, level: tank * 0.6, noise: noise, seed: seed)
            v.park(minutes: 10 * 60)          // a night
            v.ordinaryDay(stops: 6)           // stops between trips, slosh while driving
            v.park(minutes: 12 * 60)
            let (events, _) = runDetector(v.readings, tankL: tank)
            let tx = events.compactMap(\.transaction)
            #expect(tx.isEmpty, "tank \(tank) noise \(noise) seed \(seed): \(tx)")
            #expect(events.compactMap(\.anomaly).isEmpty)
        }
    }

    @Test(arguments: tanks, noises)
    func refuelStepIsFoundWithItsVolume(tank: Double, noise: Double) {
        for (seed, fraction) in [(UInt64(1), 0.25), (2, 0.4), (3, 0.6), (4, 0.7)] {
            var v = SyntheticVehicle(tankL: tank, level: tank * 0.2, noise: noise, seed: seed)
            v.drive(minutes: 20)
            v.park(minutes: 2)
            let volume = tank * fraction
            v.park(minutes: 3, flowLpm: volume / 3)   // the fill, in steps a minute apart
            v.park(minutes: 4)
            v.drive(minutes: 30)
            v.park(minutes: 60)
            let tx = runDetector(v.readings, tankL: tank).events.compactMap(\.transaction)
            #expect(tx.count == 1 && tx.first?.kind == .refuel, "tank \(tank) noise \(noise): \(tx)")
            if let r = tx.first {
                // Tolerance: 2 % of the fill plus 3σ of the two settled medians.
                let tol = 0.02 * volume + 3 * noise * tank
                #expect(abs(r.volumeL - volume) <= tol, "tank \(tank) noise \(noise): got \(r.volumeL), want \(volume)")
            }
        }
    }

    @Test(arguments: tanks, noises)
    func parkedDrainIsFoundNetOfNothing(tank: Double, noise: Double) {
        let volume = max(10, tank * 0.05)
        var v = SyntheticVehicle(tankL: tank, level: tank * 0.7, noise: noise, seed: 9)
        v.drive(minutes: 20)
        v.park(minutes: 120)
        v.park(minutes: 10, flowLpm: -volume / 10)
        v.park(minutes: 120)
        v.drive(minutes: 10)
        let tx = runDetector(v.readings, tankL: tank).events.compactMap(\.transaction)
        #expect(tx.count == 1 && tx.first?.kind == .drain, "tank \(tank) noise \(noise): \(tx)")
        if let d = tx.first { #expect(abs(d.volumeL - volume) <= 0.05 * volume + 3 * noise * tank) }
    }

    @Test(arguments: noises)
    func drainWhileDrivingIsFoundStopToStop(noise: Double) {
        // A car (60 L) loses 15 L on a 25-minute trip on top of burning 8 L/100 km. Its consumption is not
        // learned yet, so the loss is judged against the most any car burns: not far enough beyond it to
        // rule out a stop on a slope, it is reported once the next stop still shows it.
        var v = SyntheticVehicle(tankL: 60, level: 45, noise: noise, seed: 4)
        v.park(minutes: 20)
        v.drive(minutes: 25, lPer100: 8, losing: 15)
        v.park(minutes: 20)
        v.drive(minutes: 10, lPer100: 8)
        v.park(minutes: 20)
        let tx = runDetector(v.readings, tankL: 60).events.compactMap(\.transaction)
        #expect(tx.count == 1 && tx.first?.kind == .drain && tx.first?.moving == true, "noise \(noise): \(tx)")
    }

    @Test func refuelInSeveralSmallStepsIsOneRefuel() {
        var v = SyntheticVehicle(tankL: 80, level: 20, noise: 0.002, seed: 3)
        v.drive(minutes: 15)
        v.park(minutes: 2)
        for _ in 0..<4 {  // nozzle clicks off and on: 4 × 10 L with pauses under the join interval
            v.park(minutes: 1, flowLpm: 10)
            v.park(minutes: 2)
        }
        v.park(minutes: 5)
        v.drive(minutes: 10)
        let tx = runDetector(v.readings, tankL: 80).events.compactMap(\.transaction)
        #expect(tx.count == 1)
        #expect(abs((tx.first?.volumeL ?? 0) - 40) < 2)
    }

    @Test func feedingEveryReadingTwiceEqualsFeedingItOnce() {
        var v = SyntheticVehicle(tankL: 400, level: 100, noise: 0.004, seed: 5)
        v.ordinaryDay(stops: 2)
        v.park(minutes: 3, flowLpm: 80)
        v.park(minutes: 10)
        v.ordinaryDay(stops: 2)
        v.park(minutes: 8, flowLpm: -4)
        v.park(minutes: 60)
        let once = runDetector(v.readings, tankL: 400)
        let twice = runDetector(v.readings.flatMap { [$0, $0] }, tankL: 400)
        #expect(once.events == twice.events)
        #expect(once.detector == twice.detector)
        #expect(once.events.compactMap(\.transaction).count == 2)
    }

    @Test func dropoutIsFlaggedOnceAndHidesNothing() {
        var v = SyntheticVehicle(tankL: 60, level: 40, noise: 0.002, seed: 6)
        v.drive(minutes: 10)
        v.park(minutes: 5)
        var r = v.readings
        for k in 1...4 {  // a power dip: four readings of ~0
            r.append(Reading(vehicleID: "t1", channel: .telemetry, ts: v.ts + Int64(k) * 60_000, fuelL: 0.1, speedKmh: 0, ignition: false))
        }
        v.ts += 5 * 60_000
        v.park(minutes: 10)
        r += v.readings.suffix(10)
        let events = runDetector(r, tankL: 60).events
        #expect(events.compactMap(\.anomaly).map(\.kind) == [.fuelDropout])
        #expect(events.compactMap(\.transaction).isEmpty)
    }

    @Test func frozenLevelWhileDrivingIsFlaggedOnce() {
        var v = SyntheticVehicle(tankL: 60, level: 40, noise: 0.004, seed: 8)
        v.drive(minutes: 10)
        var r = v.readings
        var ts = v.ts, odo = v.odometer
        for _ in 0..<(6 * 40) {  // 40 minutes at 50 km/h with the same value
            ts += 10_000
            odo += 50.0 / 360
            r.append(Reading(vehicleID: "t1", channel: .telemetry, ts: ts, fuelL: 38.4, odometerKm: odo, speedKmh: 50, ignition: true))
        }
        let a = runDetector(r, tankL: 60).events.compactMap(\.anomaly)
        #expect(a.map(\.kind) == [.fuelSensorStuck])
        #expect((a.first?.distanceKm ?? 0) >= 5)
    }

    @Test func fullTankPinnedAtTheProbesTopIsNotStuck() {
        var v = SyntheticVehicle(tankL: 60, level: 40, noise: 0.004, seed: 9)
        v.drive(minutes: 10)
        var r = v.readings
        var ts = v.ts, odo = v.odometer
        for _ in 0..<(6 * 40) {  // just filled: the probe reads full scale for the first 30 km
            ts += 10_000
            odo += 50.0 / 360
            r.append(Reading(vehicleID: "t1", channel: .telemetry, ts: ts, fuelL: 60, odometerKm: odo, speedKmh: 50, ignition: true))
        }
        #expect(runDetector(r, tankL: 60).events.compactMap(\.anomaly).isEmpty)
    }

    @Test func anAllButEmptyTankAtTheProbesBottomIsNotStuck() {
        // Siphoned down to its last litres, the truck drives to a pump: the probe reads its bottom value.
        var v = SyntheticVehicle(tankL: 400, level: 30, noise: 0.004, seed: 10)
        v.drive(minutes: 10)
        var r = v.readings
        var ts = v.ts, odo = v.odometer
        for _ in 0..<(6 * 15) {
            ts += 10_000
            odo += 50.0 / 360
            r.append(Reading(vehicleID: "t1", channel: .telemetry, ts: ts, fuelL: 0, odometerKm: odo, speedKmh: 50, ignition: true))
        }
        #expect(runDetector(r, tankL: 400).events.compactMap(\.anomaly).allSatisfy { $0.kind != .fuelSensorStuck })
    }
}
