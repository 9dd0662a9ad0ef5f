import FleetCore
import Testing

/// A parked theft as a new user reported it: a 400 L truck parked overnight on split channels,
/// the level every 5 minutes while parked and every 1–6 minutes while it falls.
@Suite struct SparseParkedTheftTests {
    static let t0: Int64 = 1_767_225_600_000  // 2026-01-01T00:00Z
    static let minute: Int64 = 60_000

    /// The reported readings (minutes after midnight, litres), with the hours around them: parked
    /// since the evening before at ~259 L, still parked until the morning at ~210 L.
    static func readings(odometerEveryMinutes: Int64 = 5, gpsEveryMinutes: Int64 = 5) -> [Reading] {
        var fuel: [(Int64, Double)] = []
        let scatter = [0.5, -1.0, 1.0, 0.0, -0.5, 1.5, -1.5, 0.5, 0.0, -1.0]
        var m: Int64 = -6 * 60
        var i = 0
        while m < 55 {  // the evening and night before, every 5 minutes
            fuel.append((m, 259 + scatter[i % scatter.count]))
            m += 5
            i += 1
        }
        fuel += [(55, 258.5), (60, 260.5), (65, 259), (70, 258.5), (75, 258.5), (80, 256.5), (81, 253.5), (83, 241.5),
                 (85, 236), (91, 211), (96, 212.5), (101, 209.5), (106, 212), (111, 210)]
        m = 116
        while m < 6 * 60 {  // parked until 06:00
            fuel.append((m, 210.5 + scatter[i % scatter.count]))
            m += 5
            i += 1
        }
        var out: [Reading] = []
        var seq: Int64 = 0
        for (minutes, litres) in fuel {
            seq += 1
            out.append(Reading(vehicleID: "truck", channel: .fuel, ts: t0 + minutes * minute, seq: seq, fuelL: litres))
        }
        // Odometer and GPS on their own channels every 5 minutes, a few seconds off the fuel probe.
        var n: Int64 = 0
        m = -6 * 60
        while m < 6 * 60 {
            n += 1
            if m % odometerEveryMinutes == 0 {
                out.append(Reading(vehicleID: "truck", channel: .odometer, ts: t0 + m * minute + 7_000, seq: n, odometerKm: 182_345.6,
                               ignition: false, engineHours: 5_120.4))
            }
            if m % gpsEveryMinutes == 0 {
                out.append(Reading(vehicleID: "truck", channel: .gps, ts: t0 + m * minute + 12_000, seq: n, lat: 52.41, lon: 13.05,
                               speedKmh: 0))
            }
            m += 5
        }
        return out.sorted { $0.ts < $1.ts }
    }

    /// The cadences of odometer and GPS (minutes), whether the tank's size is configured, whether the
    /// night arrives as one backlog.
    @Test(arguments: [(Int64(5), Int64(5), true, false), (60, 5, true, false), (5, 5, false, false), (5, 5, true, true),
                      (360, 5, false, true), (60, 60, true, false), (360, 360, false, false)])
    func theReportedTheftIsFound(odometerEvery: Int64, gpsEvery: Int64, capacityKnown: Bool, backlog: Bool) {
        var fleet = FleetDetection(windowMs: 10_000)
        if capacityKnown { fleet.setConfigs(["truck": VehicleConfig(capacityL: 400)]) }
        var events: [DetectionEvent] = []
        let readings = Self.readings(odometerEveryMinutes: odometerEvery, gpsEveryMinutes: gpsEvery)
        for (i, r) in readings.enumerated() {
            _ = fleet.ingest(r, arrivalMs: backlog ? Self.t0 + 86_400_000 + Int64(i) : r.ts + 1_500, into: &events)
        }
        fleet.flushAll(into: &events)
        let drains = events.compactMap { e -> FuelTransaction? in
            if case .transaction(let t) = e, t.kind == .drain { t } else { nil }
        }
        #expect(drains.count == 1)
        if let d = drains.first {
            #expect(abs(d.volumeL - 47.5) < 4, "volume \(d.volumeL)")
            #expect(d.startedAt >= Self.t0 + 70 * Self.minute && d.startedAt <= Self.t0 + 81 * Self.minute)
        }
    }
}

/// A refuel (or a theft) at a short stop of a unit that reports every 30 s driving and every few
/// minutes while the truck stands: the stop has no settled level of its own, or only one already
/// full, and the trips around it show the change.
@Suite struct SparseShortStopTests {
    /// `settledAtStop`: reports at the pump, 4 minutes apart, all after the fill. `haltAfter`: half a
    /// minute after leaving, a one-minute halt at the station's exit.
    static func run(changeL: Double, settledAtStop: Int, haltAfter: Bool = false) -> [FuelTransaction] {
        var readings: [Reading] = []
        var ts: Int64 = 1_767_225_600_000
        var km = 1_000.0
        var level = 120.0
        var i = 0
        func emit(_ speed: Double, ignition: Bool, wobble: Double) {
            i += 1
            readings.append(Reading(vehicleID: "t", channel: .telemetry, ts: ts, fuelL: level + wobble, odometerKm: km,
                                    lat: 52 + km / 111, lon: 13, speedKmh: speed, ignition: ignition))
        }
        for j in 0..<40 {  // 20 minutes on the road, sloshing ±2 L
            ts += 30_000; km += 0.4; level -= 0.12
            emit(48, ignition: true, wobble: [1.5, -2, 0.5, -1, 2][j % 5])
        }
        ts += 10_000
        emit(0, ignition: false, wobble: 0.3)  // arrival: ignition off, not yet settled
        level += changeL
        for _ in 0..<settledAtStop {  // the pump, then one or two reports before leaving
            ts += 240_000
            emit(0, ignition: true, wobble: -0.2)
        }
        if haltAfter {
            ts += 30_000; km += 0.3
            emit(30, ignition: true, wobble: 1)
            for _ in 0..<2 {
                ts += 30_000
                emit(0, ignition: true, wobble: -0.3)
            }
        }
        for j in 0..<20 {  // on the road again
            ts += 30_000; km += 0.4; level -= 0.12
            emit(48, ignition: true, wobble: [-1.5, 2, -0.5, 1, -2][j % 5])
        }
        var fleet = FleetDetection(windowMs: 10_000)
        fleet.setConfigs(["t": VehicleConfig(capacityL: 400)])
        var events: [DetectionEvent] = []
        for r in readings { _ = fleet.ingest(r, arrivalMs: r.ts + 1_000, into: &events) }
        fleet.flushAll(into: &events)
        return events.compactMap { if case .transaction(let t) = $0 { t } else { nil } }
    }

    /// One, two or three reports at the pump, each already full; with or without a halt at the exit
    /// before the levels after the stop are in.
    @Test(arguments: [(1, false), (2, false), (3, false), (1, true), (2, true)])
    func aFillSeenOnlyFromTheTripsAroundItIsFound(settledAtStop: Int, haltAfter: Bool) {
        let found = Self.run(changeL: 150, settledAtStop: settledAtStop, haltAfter: haltAfter)
        #expect(found.count == 1 && found.first?.kind == .refuel, "\(found)")
        #expect(found.first.map { abs($0.volumeL - 150) < 6 } == true, "volume \(found.first?.volumeL ?? 0)")
    }

    /// The same stop with 60 L siphoned instead, done before the first report at the stop; with three
    /// reports at the stop it is the road ledger's to find (not tested here).
    @Test(arguments: [(1, false), (1, true)])
    func aTheftSeenOnlyFromTheTripBeforeIsFound(settledAtStop: Int, haltAfter: Bool) {
        let found = Self.run(changeL: -60, settledAtStop: settledAtStop, haltAfter: haltAfter)
        #expect(found.count == 1 && found.first?.kind == .drain, "\(found)")
        #expect(found.first.map { abs($0.volumeL - 60) < 6 } == true, "volume \(found.first?.volumeL ?? 0)")
    }

    @Test(arguments: [(1, false), (3, false), (1, true)])
    func aStopWithoutAFillReportsNothing(settledAtStop: Int, haltAfter: Bool) {
        #expect(Self.run(changeL: 0, settledAtStop: settledAtStop, haltAfter: haltAfter).isEmpty)
    }
}
