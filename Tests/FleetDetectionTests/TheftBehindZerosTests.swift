import FleetCore
import SeededRandom
import Testing

/// Units that report 0 while the ignition is off hide the night: a theft shows only as the morning's
/// level against the trip's level where the vehicle stopped, and that level carries the road's doubt.
@Suite struct TheftBehindZerosTests {
    /// The last 40 seconds down to the parking spot read 9 % of the tank low, and so does the spot all
    /// night: most of the trip's last readings say otherwise, so where its level stood as it stopped is
    /// in doubt by as much, and nothing was taken.
    @Test(arguments: [UInt64(41), 42, 43])
    func aGradeAtTheEndOfTheTripIsNoTheft(seed: UInt64) {
        var (v, _) = RoadDrainTests.truckDay(seed: seed, legs: 3)
        v.drive(minutes: 20, lPer100: 32, slosh: 0.02)
        v.drive(readings: 4, lPer100: 32, slosh: 0.02, tilt: -0.09)
        v.parkReportingZeros(minutes: 600, tilt: -0.09)
        v.drive(minutes: 30, lPer100: 32, slosh: 0.02)
        v.park(minutes: 30)
        #expect(RoadDrainTests.drains(v).isEmpty, "seed \(seed)")
    }

    /// On level ground, 60 L taken in the night behind the zeros is found, near its true volume.
    @Test(arguments: [UInt64(41), 42, 43])
    func aTheftBehindZerosIsFound(seed: UInt64) throws {
        var (v, _) = RoadDrainTests.truckDay(seed: seed, legs: 3)
        v.drive(minutes: 21, lPer100: 32, slosh: 0.02)
        v.parkReportingZeros(minutes: 600, flowLpm: -0.1)
        v.drive(minutes: 30, lPer100: 32, slosh: 0.02)
        v.park(minutes: 30)
        let d = RoadDrainTests.drains(v)
        try #require(d.count == 1, "seed \(seed): \(d)")
        #expect(!d[0].moving && abs(d[0].volumeL - 60) < 12, "seed \(seed): \(d[0].volumeL)")
    }

    /// A car whose unit reports zeros at every stop: its only settled levels are the minutes it reports
    /// awake before driving off. A third of its tank taken on the road shows from one such level to the
    /// next, across the stop's zeros, and is reported once.
    @Test(arguments: [UInt64(51), 52, 53])
    func aLossOnTheRoadBetweenStopsOfZerosIsFound(seed: UInt64) throws {
        var v = SyntheticVehicle(tankL: 60, level: 50, noise: 0.004, seed: seed)
        v.parkReportingZeros(minutes: 60)
        v.drive(minutes: 30, lPer100: 7, slosh: 0.02, losing: 20)
        v.parkReportingZeros(minutes: 45)
        v.drive(minutes: 20, lPer100: 7, slosh: 0.02)
        v.parkReportingZeros(minutes: 45)
        let d = RoadDrainTests.drains(v)
        try #require(d.count == 1, "seed \(seed): \(d)")
        #expect(abs(d[0].volumeL - 20) < 5, "seed \(seed): \(d[0].volumeL)")
    }

    /// The same car over three days of ordinary legs and nights of zeros, cooling 1 % of its tank each
    /// night: no drain.
    @Test(arguments: [UInt64(61), 62, 63])
    func daysOfStopsOfZerosAreNoDrain(seed: UInt64) {
        var v = SyntheticVehicle(tankL: 60, level: 55, noise: 0.004, seed: seed)
        var rng = SimRandom(seed: seed &+ 7)
        for _ in 0..<3 {
            for _ in 0..<5 {
                v.drive(minutes: Int(rng.uniform(15, 45)), lPer100: 7 * rng.uniform(0.8, 1.3), slosh: 0.02)
                v.parkReportingZeros(minutes: Int(rng.uniform(10, 60)))
            }
            v.parkReportingZeros(minutes: 600, flowLpm: -0.6 / 600)
            v.level = 55
        }
        #expect(RoadDrainTests.drains(v).isEmpty, "seed \(seed)")
    }
}
