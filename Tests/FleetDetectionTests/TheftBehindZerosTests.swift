import FleetCore
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
}
