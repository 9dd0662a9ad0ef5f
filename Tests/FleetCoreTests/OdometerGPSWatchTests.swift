import FleetCore
import SeededRandom
import Foundation
import Testing

/// `odometer_gps_mismatch`: consistent series never flag whatever the speed, noise and report
/// rates; a miscalibrated odometer is one flag per incident; rollbacks, jumps and sparse or
/// jumping fixes restart the stretch instead of flagging.
@Suite struct OdometerGPSWatchTests {
    static let t0: Int64 = 1_700_000_000_000
    static let metresPerDegree = 6_371_000 * Double.pi / 180

    /// A seeded drive: speed and heading wander, with stops; the true path is known exactly.
    struct Drive {
        var rng: SimRandom
        var x = 0.0, y = 0.0, heading = 0.0, kmh = 50.0
        var trueKm = 0.0
        var odometerKm = 100_000.0
        var stoppedFor = 0

        init(seed: UInt64) { rng = SimRandom(seed: seed) }

        /// One second; `scale` is how the odometer counts the distance driven.
        mutating func step(scale: Double = 1) {
            if stoppedFor > 0 {
                stoppedFor -= 1
                return
            }
            if rng.chance(0.0005) { stoppedFor = rng.int(60, 3_600) }  // a delivery, a night
            kmh = min(130, max(5, kmh + rng.normal(0, 3)))
            heading += rng.normal(0, 0.03)
            let m = kmh / 3.6
            x += m * Double.cos(heading)
            y += m * Double.sin(heading)
            trueKm += m / 1000
            odometerKm += scale * m / 1000
        }

        mutating func fix(noiseM: Double) -> (lat: Double, lon: Double) {
            let nx = noiseM > 0 ? rng.normal(0, noiseM) : 0
            let ny = noiseM > 0 ? rng.normal(0, noiseM) : 0
            let lat = 52 + (y + ny) / OdometerGPSWatchTests.metresPerDegree
            let lon = 13 + (x + nx) / (OdometerGPSWatchTests.metresPerDegree * Double.cos(52 * Double.pi / 180))
            return (lat, lon)
        }
    }

    static func number(_ v: DetailValue?) -> Double? {
        if case .number(let x)? = v { return x }
        return nil
    }

    struct Setup {
        var noiseM: Double
        var telemetry: Bool
        var odometerEvery: Int
        var gpsEvery: Int
    }

    /// Readings for `seconds` of driving; `scale(t)` is the odometer's calibration at second t,
    /// `edit` may alter each reading before it is fed.
    static func run(seed: UInt64, seconds: Int, setup: Setup? = nil, scale: (Int) -> Double = { _ in 1 },
                    edit: (Int, inout Reading) -> Void = { _, _ in }) -> (found: [Anomaly], setup: Setup) {
        var drive = Drive(seed: seed)
        var rng = SimRandom(seed: seed, stream: 1)
        let s = setup ?? Setup(noiseM: rng.uniform(0, 10), telemetry: rng.chance(0.5), odometerEvery: rng.int(1, 10),
                               gpsEvery: rng.int(1, 10))
        var watch = OdometerGPSWatch()
        var found: [Anomaly] = []
        for t in 0..<seconds {
            drive.step(scale: scale(t))
            let ts = t0 + Int64(t) * 1000
            let odometer = (drive.odometerKm * 100).rounded() / 100
            var readings: [Reading] = []
            if s.telemetry {
                if t % s.gpsEvery == 0 {
                    let p = drive.fix(noiseM: s.noiseM)
                    readings.append(Reading(vehicleID: "v", channel: .telemetry, ts: ts, odometerKm: odometer, lat: p.lat, lon: p.lon))
                }
            } else {
                if t % s.odometerEvery == 0 { readings.append(Reading(vehicleID: "v", channel: .odometer, ts: ts, odometerKm: odometer)) }
                if t % s.gpsEvery == 0 {
                    let p = drive.fix(noiseM: s.noiseM)
                    readings.append(Reading(vehicleID: "v", channel: .gps, ts: ts, lat: p.lat, lon: p.lon))
                }
            }
            for var r in readings {
                edit(t, &r)
                found += watch.feed(r)
            }
        }
        return (found, s)
    }

    @Test(arguments: 0..<12)
    func consistentSeriesNeverFlag(seed: UInt64) {
        let (found, setup) = Self.run(seed: seed, seconds: 6 * 3600)
        #expect(found.isEmpty, "\(setup)")
    }

    /// A miscalibrated odometer (×1.3) is one incident while it lasts; a good stretch ends it.
    @Test(arguments: 0..<8)
    func aScaledOdometerFlagsOncePerIncident(seed: UInt64) {
        let hour = 3600
        let (found, setup) = Self.run(seed: seed, seconds: 9 * hour) { t in
            (0..<3 * hour).contains(t) || (6 * hour..<9 * hour).contains(t) ? 1.3 : 1
        }
        #expect(found.count == 2, "\(setup)")
        #expect(found.allSatisfy { $0.kind == .odometerGPSMismatch && $0.severity == .info })
        // The second incident may be flagged on the stretch that straddles the change.
        #expect(found.allSatisfy { (Self.number($0.details["ratio"]) ?? 0) > 1.15 })
        if found.count == 2 {
            #expect(found[0].ts < Self.t0 + Int64(3 * hour) * 1000)
            #expect(found[1].ts >= Self.t0 + Int64(6 * hour) * 1000)
        }
    }

    @Test func theFlagSaysWhatDisagreed() {
        let setup = Setup(noiseM: 3, telemetry: true, odometerEvery: 1, gpsEvery: 1)
        let (found, _) = Self.run(seed: 7, seconds: 3 * 3600, setup: setup) { _ in 0.5 }
        #expect(found.count == 1)
        guard let a = found.first else { return }
        #expect(a.value! >= 0.4 * a.expected! && a.value! <= 0.6 * a.expected!)
        #expect(a.expected! >= OdometerGPSWatch.stretchKm)
        #expect(a.details["odometer_km"] == .number(a.value!) && a.details["gps_km"] == .number(a.expected!))
        #expect(a.details["from_ts"] == .number(Double(Self.t0)))
    }

    /// Rollbacks, resets and jumps of the odometer have their own flags: never a mismatch.
    @Test(arguments: 0..<6)
    func odometerFaultsRestartTheStretch(seed: UInt64) {
        var rng = SimRandom(seed: seed, stream: 2)
        var offset = 0.0
        var faults: [Int: Double] = [:]
        for _ in 0..<10 { faults[rng.int(0, 8 * 3600)] = rng.chance(0.5) ? -rng.uniform(1, 10_000) : rng.uniform(1, 5_000) }
        let (found, setup) = Self.run(seed: seed, seconds: 8 * 3600, edit: { t, r in
            if let f = faults[t], r.odometerKm != nil { offset += f; faults[t] = nil }
            if let km = r.odometerKm { r.odometerKm = max(0, km + offset) }
        })
        #expect(found.isEmpty, "\(setup)")
    }

    /// A multipath fix tens of km away, and invalid fixes, change nothing.
    @Test(arguments: 0..<6)
    func gpsFaultsRestartTheStretch(seed: UInt64) {
        var rng = SimRandom(seed: seed, stream: 3)
        var jumps: Set<Int> = []
        for _ in 0..<20 { jumps.insert(rng.int(0, 8 * 3600)) }
        let (found, setup) = Self.run(seed: seed, seconds: 8 * 3600, edit: { t, r in
            guard r.lat != nil else { return }
            if jumps.contains(t) { r.lat! += 0.5 }
            if t % 97 == 0 { r.lat = nil; r.lon = nil; r.flags = .invalidFix }
        })
        #expect(found.isEmpty, "\(setup)")
    }

    /// Fixes two minutes apart on a winding road: straight lines would under-measure by far more
    /// than the tolerance, so such a track is never judged.
    @Test func sparseFixesOnAWindingRoadAreNotJudged() {
        var watch = OdometerGPSWatch()
        var found: [Anomaly] = []
        let radius = 1_500.0, kmh = 90.0  // 3 km of arc between fixes, 2.5 km of chord: 16 % short
        for i in 0..<200 {
            let t = Double(i) * 120
            let angle = kmh / 3.6 * t / radius
            let lat = 52 + radius * Double.sin(angle) / Self.metresPerDegree
            let lon = 13 + radius * Double.cos(angle) / (Self.metresPerDegree * Double.cos(52 * Double.pi / 180))
            found += watch.feed(Reading(vehicleID: "v", channel: .telemetry, ts: Self.t0 + Int64(t) * 1000,
                                        odometerKm: 100 + kmh * t / 3600, lat: lat, lon: lon))
        }
        #expect(found.isEmpty)
    }

    @Test func stateSurvivesAJSONRoundTrip() throws {
        var watch = OdometerGPSWatch()
        for i in 0..<100 {
            _ = watch.feed(Reading(vehicleID: "v", channel: .telemetry, ts: Self.t0 + Int64(i) * 1000,
                                   odometerKm: 10 + Double(i) * 0.02, lat: 52 + Double(i) * 0.00018, lon: 13))
        }
        let back = try JSONDecoder().decode(OdometerGPSWatch.self, from: JSONEncoder().encode(watch))
        #expect(back == watch)
    }
}
