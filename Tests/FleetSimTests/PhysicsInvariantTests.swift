import FleetCore
import Testing
@testable import FleetSim

/// The physics and the truth agree with what the units publish.
@Suite struct PhysicsInvariantTests {
    /// Faults on, outages off (so every reading's true time is exact), two days.
    static let faulty: SimRun = {
        var c = smallConfig(.faultySensors, vehicles: 25, hours: 48, seed: 3)
        c.faults = NamedScenario.fieldRates.scaled(40)
        c.faults.offline = 0
        return SimRun(c)
    }()
    static let clean = SimRun(smallConfig(.clean, vehicles: 40, hours: 72, seed: 9))

    func byVehicle(_ run: SimRun) -> [String: [SimRun.Published]] {
        var out: [String: [SimRun.Published]] = [:]
        for p in run.published() { out[p.reading.vehicleID, default: []].append(p) }
        for k in out.keys { out[k]!.sort { $0.trueMs < $1.trueMs } }
        return out
    }

    @Test func odometerOnlyGoesBackWhereTheTruthSaysSo() {
        let run = Self.faulty
        let rollbacks = Set(run.truth.filter { $0.kind == .odometerRollback }.map { "\($0.vehicle)@\($0.startMs)" })
        #expect(!rollbacks.isEmpty, "the faulty scenario should inject rollbacks")
        var seenBack = 0
        for (v, readings) in byVehicle(run) {
            var last: Double?
            for p in readings {
                guard let odo = p.reading.odometerKm else { continue }
                if let l = last, odo < l {
                    #expect(rollbacks.contains("\(v)@\(p.trueMs)"), "unexplained odometer decrease \(l) → \(odo) on \(v) at \(p.trueMs)")
                    seenBack += 1
                }
                last = odo
            }
        }
        #expect(seenBack > 0)
    }

    @Test func fuelStaysInTheTankExceptInjectedFaults() {
        let run = Self.faulty
        // An incident of consecutive impossible levels is one true event spanning them.
        let outOfRange = Dictionary(grouping: run.truth.filter { $0.kind == .fuelOutOfRange }, by: \.vehicle)
        var impossible = 0
        for (v, readings) in byVehicle(run) {
            let tank = run.spec(v).tankL
            for p in readings {
                guard let l = litres(p.reading, tank: tank) else { continue }
                if l < 0 || l > tank + 1e-6 {
                    impossible += 1
                    let explained = outOfRange[v]?.contains { $0.startMs <= p.trueMs && p.trueMs <= $0.endMs } ?? false
                    #expect(explained, "fuel \(l) of \(tank) on \(v) at \(p.trueMs)")
                }
            }
        }
        #expect(impossible > 0)
    }

    @Test func everyFaultIsVisibleInTheStream() throws {
        let run = Self.faulty
        let streams = byVehicle(run)
        var checked: [TruthKind: Int] = [:]
        for e in run.truth {
            let rs = streams[e.vehicle] ?? []
            let tank = run.spec(e.vehicle).tankL
            let inside = rs.filter { $0.trueMs >= e.startMs && $0.trueMs <= e.endMs }
            let at = rs.filter { $0.trueMs == e.startMs }
            switch e.kind {
            case .odometerRollback, .odometerJump:
                #expect(at.contains { $0.reading.odometerKm == e.toKm }, "\(TruthCodec.line(e))")
            case .gpsInvalid:
                #expect(at.contains { $0.reading.lat == 0 && $0.reading.lon == 0 }, "\(TruthCodec.line(e))")
            case .gpsJump:
                let c = run.sim.region
                #expect(at.contains { p in
                    guard let la = p.reading.lat, let lo = p.reading.lon else { return false }
                    return abs(la - c.centerLat) * 111 + abs(lo - c.centerLon) * 68 > 25 + c.radiusM / 1000
                        || abs(la - (rs.last { $0.trueMs < e.startMs && $0.reading.lat != nil }?.reading.lat ?? la)) > 0.2
                        || abs(lo - (rs.last { $0.trueMs < e.startMs && $0.reading.lon != nil }?.reading.lon ?? lo)) > 0.3
                }, "\(TruthCodec.line(e))")
            case .fuelOutOfRange:
                #expect(at.contains { p in litres(p.reading, tank: tank).map { $0 < 0 || $0 > tank * 1.1 } ?? false }, "\(TruthCodec.line(e))")
            case .fuelDropout:
                #expect(inside.contains { p in litres(p.reading, tank: tank).map { $0 < 0.01 * tank } ?? false }, "\(TruthCodec.line(e))")
            case .fuelSensorStuck:
                let levels = inside.compactMap { litres($0.reading, tank: tank) }
                #expect(levels.count >= 2 && Set(levels).count == 1, "\(TruthCodec.line(e)) levels \(levels.prefix(5))")
            case .clockSkew:
                #expect(!inside.isEmpty && inside.allSatisfy { $0.reading.ts - $0.trueMs == e.skewMs! }, "\(TruthCodec.line(e))")
            case .refuel, .drain, .maintenance, .offline:
                #expect(!rs.filter { $0.trueMs >= e.startMs - 300_000 && $0.trueMs <= e.endMs + 300_000 }.isEmpty)
            }
            checked[e.kind, default: 0] += 1
        }
        for k in [TruthKind.odometerRollback, .odometerJump, .gpsInvalid, .gpsJump, .fuelOutOfRange, .fuelDropout, .fuelSensorStuck, .clockSkew, .refuel] {
            #expect(checked[k, default: 0] > 0, "no \(k.rawValue) injected in the test run")
        }
    }

    /// With clean sensors the level steps by the true volume across every refuel and drain.
    @Test func fuelEventsShowTheirVolume() {
        let run = Self.clean
        let streams = byVehicle(run)
        var n = 0
        for e in run.truth where e.kind == .refuel || e.kind == .drain {
            let tank = run.spec(e.vehicle).tankL
            let levels = (streams[e.vehicle] ?? []).compactMap { p in litres(p.reading, tank: tank).map { (p.trueMs, $0) } }
            guard let before = levels.last(where: { $0.0 <= e.startMs })?.1,
                  let after = levels.first(where: { $0.0 >= e.endMs })?.1 else {
                Issue.record("no readings around \(TruthCodec.line(e))")
                continue
            }
            let change = after - before
            if e.kind == .refuel || e.moving == false {
                let want = e.kind == .refuel ? e.volumeL! : -e.volumeL!
                #expect(abs(change - want) < 0.6, "\(TruthCodec.line(e)): level \(before) → \(after)")
            } else {
                // Moving: the engine burns fuel too, but not 15 L in 20 minutes.
                #expect(-change >= e.volumeL! - 0.6 && -change <= e.volumeL! + 15, "\(TruthCodec.line(e)): level \(before) → \(after)")
            }
            n += 1
        }
        #expect(n > 10)
        #expect(run.truth.contains { $0.kind == .drain && $0.moving == false })
    }

    @Test func cleanRunHasNoFaults() {
        let kinds = Set(Self.clean.truth.map(\.kind))
        #expect(kinds.isSubset(of: [.refuel, .drain, .maintenance]))
    }

    /// Consumption sits in the class's range: litres used per 100 km between refuels.
    @Test func consumptionIsPlausible() {
        let run = Self.clean
        for (v, rs) in byVehicle(run) {
            let spec = run.spec(v)
            let withBoth = rs.filter { $0.reading.fuelL != nil && $0.reading.odometerKm != nil }
            guard let a = withBoth.first, let b = withBoth.last else { continue }
            let km = b.reading.odometerKm! - a.reading.odometerKm!
            guard km > 150 else { continue }
            let added = run.truth.filter { $0.vehicle == v && $0.kind == .refuel }.reduce(0) { $0 + $1.volumeL! }
            let drained = run.truth.filter { $0.vehicle == v && $0.kind == .drain }.reduce(0) { $0 + $1.volumeL! }
            let used = a.reading.fuelL! - b.reading.fuelL! + added - drained
            let per100 = used / km * 100
            let r = spec.vehicleClass.consumptionRange
            #expect(per100 > r.lowerBound * 0.9 && per100 < r.upperBound * 1.6, "\(v) \(spec.vehicleClass): \(per100) L/100 km over \(km) km")
        }
    }

    @Test func maintenanceCrossingsMatchThePublishedOdometer() {
        let run = Self.clean
        let streams = byVehicle(run)
        let m = run.truth.filter { $0.kind == .maintenance }
        #expect(m.count > 5)
        for e in m where e.trigger == .distance {
            let rec = run.sim.serviceRecords.first { $0.vehicleID == e.vehicle && $0.service == e.service }!
            let plan = run.sim.plans.first { $0.service == e.service && $0.applies(to: e.vehicle) }!
            let due = rec.odometerKm! + plan.intervalKm! - (e.level == .dueSoon ? plan.noticeKm! : 0)
            let odo = (streams[e.vehicle] ?? []).first { $0.trueMs >= e.startMs && $0.reading.odometerKm != nil }?.reading.odometerKm
            #expect(odo.map { $0 >= due - 0.01 && $0 < due + 2 } ?? false, "\(TruthCodec.line(e)) due \(due) published \(String(describing: odo))")
        }
    }

    /// Vehicles move at plausible speeds and park at night.
    @Test func speedsAndParking() {
        let run = Self.clean
        var moving = 0, night = 0, nightMoving = 0
        for p in run.published() {
            guard let s = p.reading.speedKmh else { continue }
            #expect(s <= 140)
            if s > 5 { moving += 1 }
            let hour = (p.trueMs / 3_600_000) % 24
            if hour >= 0 && hour < 3 {
                night += 1
                if s > 5 { nightMoving += 1 }
            }
        }
        #expect(moving > 1000)
        #expect(Double(nightMoving) < Double(night) * 0.05)
    }
}
