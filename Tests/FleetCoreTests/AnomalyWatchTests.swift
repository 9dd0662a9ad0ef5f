import FleetCore
import SeededRandom
import Foundation
import Testing

/// The rule-based anomaly watches: right flag, once per incident, same result in any arrival
/// order within the reorder window, and state that survives a JSON round trip.
@Suite struct AnomalyWatchTests {
    static let t0: Int64 = 1_700_000_000_000

    /// A vehicle driving north at ~36 km/h: one telemetry reading a second.
    static func drive(_ n: Int, vehicle: String = "v") -> [Reading] {
        (0..<n).map { i in
            // Burning 10 L/100 km: a level frozen while driving would rightly be a stuck sensor.
            Reading(vehicleID: vehicle, channel: .telemetry, ts: t0 + Int64(i) * 1000, fuelL: 100 - Double(i) * 0.001,
                    odometerKm: 1000 + Double(i) * 0.01, lat: 52 + Double(i) * 0.00009, lon: 13, speedKmh: 36)
        }
    }

    static func detect(_ readings: [Reading], arrivals: [Int64]? = nil, window: Int64 = 10_000) -> [Anomaly] {
        var fleet = FleetDetection(windowMs: window)
        var events: [DetectionEvent] = []
        for (i, r) in readings.enumerated() {
            _ = fleet.ingest(r, arrivalMs: arrivals?[i] ?? r.ts, into: &events)
        }
        fleet.flushAll(into: &events)
        return events.compactMap { if case .anomaly(let a) = $0 { a } else { nil } }
    }

    @Test func aCleanDriveRaisesNothing() {
        #expect(Self.detect(Self.drive(3_000)).isEmpty)
    }

    @Test func aRunOfInvalidFixesIsOneIncident() {
        var readings = Self.drive(600)
        for i in 200..<260 { readings[i].lat = nil; readings[i].lon = nil; readings[i].flags = .invalidFix }
        for i in 400..<405 { readings[i].lat = nil; readings[i].lon = nil; readings[i].flags = .invalidFix }
        let found = Self.detect(readings)
        #expect(found.map(\.kind) == [.gpsInvalid, .gpsInvalid])
        #expect(found.map(\.ts) == [readings[200].ts, readings[400].ts])
    }

    @Test func aJumpAndItsReturnAreOneIncident() {
        var readings = Self.drive(300)
        readings[100].lat = 55  // ~330 km away for one second
        let found = Self.detect(readings)
        #expect(found.map(\.kind) == [.gpsJump])
        #expect(found.first?.ts == readings[100].ts)
        #expect((found.first?.value ?? 0) > 100_000)
    }

    @Test func aLongGapIsNotAJump() {
        var readings = Self.drive(10)
        // Parked with the unit off for 3 hours, then 200 km further: 67 km/h, plausible.
        readings.append(Reading(vehicleID: "v", channel: .telemetry, ts: Self.t0 + 3 * 3_600_000, lat: 53.8, lon: 13))
        #expect(Self.detect(readings).isEmpty)
    }

    @Test func rollbackAndJumpOfTheOdometer() {
        var readings = Self.drive(600)
        for i in 300..<600 { readings[i].odometerKm! -= 250 }  // reset to a lower value, once
        readings[450].odometerKm! += 80  // an 80 km leap in one second, then back
        let found = Self.detect(readings)
        #expect(found.map(\.kind) == [.odometerRollback, .odometerJump, .odometerRollback])
        #expect(found[0].ts == readings[300].ts && found[0].expected! > found[0].value!)
        // The return from the leap is itself a backward step: reported, as the truth of the series.
        #expect(found[1].ts == readings[450].ts)
    }

    @Test func clockSkewIsFlaggedOncePerIncident() {
        var readings: [Reading] = []
        var arrivals: [Int64] = []
        for i in 0..<100 {
            let arrival = Self.t0 + Int64(i) * 1000
            let ahead: Int64 = (20..<60).contains(i) ? 3_600_000 : 0
            readings.append(Reading(vehicleID: "v", channel: .fuel, ts: arrival + ahead, fuelL: 50))
            arrivals.append(arrival)
        }
        let found = Self.detect(readings, arrivals: arrivals)
        #expect(found.map(\.kind) == [.clockSkew])
        #expect(found.first?.value == 3600)
    }

    /// A unit whose clock runs an hour ahead for a while: its readings are placed at their time less the
    /// clock's offset, so an odometer rollback and a lost fix among them are flagged once each, at their
    /// true time (here, receipt).
    @Test func faultsDuringAClockSkewAreFlaggedAtReceipt() {
        var readings: [Reading] = []
        var arrivals: [Int64] = []
        for i in 0..<120 {
            let arrival = Self.t0 + Int64(i) * 10_000
            let ahead: Int64 = (30..<90).contains(i) ? 3_600_000 : 0
            var r = Reading(vehicleID: "v", channel: .gps, ts: arrival + ahead, odometerKm: 1_000 + Double(i) * 0.2 - (i >= 50 ? 300 : 0),
                            lat: 52.5 + Double(i) * 0.0018, lon: 13.4)
            if (60..<65).contains(i) { r.lat = nil; r.lon = nil; r.flags = .invalidFix }
            readings.append(r)
            arrivals.append(arrival)
        }
        let found = Self.detect(readings, arrivals: arrivals)
        #expect(found.map(\.kind) == [.clockSkew, .odometerRollback, .gpsInvalid])
        #expect(found.dropFirst().map(\.ts) == [arrivals[50], arrivals[60]])
    }

    @Test(arguments: 0..<6)
    func arrivalOrderWithinTheWindowChangesNothing(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var readings = Self.drive(1_200)
        readings[100].lat = 60
        for i in 500..<520 { readings[i].lat = nil; readings[i].lon = nil; readings[i].flags = .invalidFix }
        for i in 800..<1_200 { readings[i].odometerKm! -= 30 }
        let inOrder = Self.detect(readings)
        let delayed = readings.map { ($0, $0.ts + Int64.random(in: 0...8_000, using: &rng)) }.sorted { $0.1 < $1.1 }
        let shuffled = Self.detect(delayed.map(\.0), arrivals: delayed.map(\.1))
        #expect(shuffled == inOrder)
        #expect(inOrder.map(\.kind) == [.gpsJump, .gpsInvalid, .odometerRollback])
    }

    @Test func stateSurvivesAJSONRoundTrip() throws {
        var fleet = FleetDetection(windowMs: 10_000)
        var events: [DetectionEvent] = []
        for r in Self.drive(50) { _ = fleet.ingest(r, arrivalMs: r.ts, into: &events) }
        let state = try #require(fleet.state(of: "v"))
        let data = try JSONEncoder().encode(state)
        let back = try JSONDecoder().decode(VehicleState.self, from: data)
        #expect(back == state)
        #expect(state.reorder.heldCount > 0)
    }
}
