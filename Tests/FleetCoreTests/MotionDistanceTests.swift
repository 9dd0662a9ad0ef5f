@testable import FleetCore
import Testing

/// The distance fleetd counts for a vehicle (what maintenance marks are measured in) skips odometer
/// faults but not the road driven while one happened.
@Suite struct MotionDistanceTests {
    static func drive(_ odometer: [(sec: Int64, km: Double, kmh: Double)]) -> MotionState {
        var m = MotionState()
        for (sec, km, kmh) in odometer {
            m.update(Reading(vehicleID: "v", channel: .telemetry, ts: sec * 1_000, odometerKm: km, speedKmh: kmh, ignition: true),
                     stationaryBelowKmh: 3)
        }
        return m
    }

    @Test func aJumpWhileDrivingStillCountsTheRoadItHid() {
        // 60 km/h, a reading every 30 s (0.5 km); at 90 s the unit jumps 4,000 km.
        let m = Self.drive([(0, 100, 60), (30, 100.5, 60), (60, 101, 60), (90, 4101.5, 60), (120, 4102, 60)])
        #expect(abs(m.distanceKm - 2.0) < 1e-9, "\(m.distanceKm)")
    }

    @Test func aRollbackWhileDrivingStillCountsTheRoadItHid() {
        let m = Self.drive([(0, 100, 72), (30, 100.6, 72), (60, 0.6, 72), (90, 1.2, 72)])
        #expect(abs(m.distanceKm - 1.8) < 1e-9, "\(m.distanceKm)")
    }

    @Test func aJumpAfterALongSilenceCountsNothing() {
        // Two hours without a reading: the vehicle may have stood; the last speed says nothing of them.
        let m = Self.drive([(0, 100, 60), (30, 100.5, 60), (7_230, 9_000, 60), (7_260, 9_000.5, 60)])
        #expect(abs(m.distanceKm - 1.0) < 1e-9, "\(m.distanceKm)")
    }
}
