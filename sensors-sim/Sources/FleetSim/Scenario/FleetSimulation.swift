import FleetCore
import SeededRandom
/// A whole fleet advanced in simulated time slices: the pure, deterministic core of scenario mode.
///
/// Each call to `nextSlice` produces the messages published during the next slice of simulated
/// time, ordered by publish time. Nothing here does I/O or reads a clock.
public struct FleetSimulation: Sendable {
    public let config: ScenarioConfig
    public let region: Region
    public let specs: [VehicleSpec]
    public let plans: [MaintenancePlanRow]
    public let serviceRecords: [ServiceRecordRow]
    public let sliceMs: Int64
    public private(set) var now: Int64
    public private(set) var finished = false
    var vehicles: [VehicleSim]

    public init(config: ScenarioConfig, sliceMs: Int64 = 10_000) {
        self.config = config
        self.sliceMs = sliceMs
        var rng = SimRandom(seed: config.seed, stream: 0xF1EE7, salt: 0)
        region = Region(rng: &rng)
        var specs: [VehicleSpec] = []
        for i in 0..<config.vehicles {
            var r = SimRandom(seed: config.seed, stream: UInt64(i), salt: 0)
            specs.append(VehicleSpec.make(index: i, config: config, region: region, rng: &r))
        }
        self.specs = specs
        plans = MaintenancePlanRow.simulated(for: specs, createdAtMs: config.startMs)
        let env = SimEnvironment(seed: config.seed, startMs: config.startMs, endMs: config.endMs, region: region,
                                 sensors: config.sensors, faults: config.faults,
                                 movingPeriodMs: config.movingPeriodMs, parkedPeriodMs: config.parkedPeriodMs,
                                 physics: config.physics)
        var records: [ServiceRecordRow] = []
        var vehicles: [VehicleSim] = []
        for s in specs {
            var r = SimRandom(seed: config.seed, stream: UInt64(s.index), salt: 4)
            var mine: [(MaintenancePlanRow, ServiceRecordRow)] = []
            for p in plans where p.applies(to: s.id) {
                let rec = Self.lastService(plan: p, spec: s, config: config, id: Int64(records.count + 1), rng: &r)
                records.append(rec)
                mine.append((p, rec))
            }
            vehicles.append(VehicleSim(spec: s, env: env, records: mine))
        }
        serviceRecords = records
        self.vehicles = vehicles
        now = config.startMs
    }

    /// A last service placed so that nothing is due at the start and a share of vehicles reaches
    /// `due_soon` (and some `overdue`) during the run.
    static func lastService(plan: MaintenancePlanRow, spec: VehicleSpec, config: ScenarioConfig, id: Int64, rng: inout SimRandom) -> ServiceRecordRow {
        let expectKm = spec.typicalDailyKm * config.days
        var odo = spec.initialOdometerKm
        if let i = plan.intervalKm {
            let notice = plan.noticeKm ?? 0
            let toSoon = min(rng.uniform(0.02, 4) * expectKm, i - notice - 1)
            odo = max(0, spec.initialOdometerKm + toSoon + notice - i)
        } else {
            odo = max(0, spec.initialOdometerKm - rng.uniform(1_000, 20_000))
        }
        var at = config.startMs - 30 * 86_400_000
        if let d = plan.intervalDays {
            let notice = Double(plan.noticeDays ?? 0)
            let toSoonDays = rng.uniform(0.05, 8) * config.days
            at = config.startMs + Int64((toSoonDays + notice - Double(d)) * 86_400_000)
        }
        var eh = spec.initialEngineHours - rng.uniform(10, 200)
        if let h = plan.intervalEngineHours {
            eh = spec.initialEngineHours + rng.uniform(0.3, 6) * config.days * 10 - h
        }
        return ServiceRecordRow(id: id, vehicleID: spec.id, service: plan.service, performedAtMs: at, odometerKm: odo, engineHours: max(0, eh))
    }

    /// Produces the next slice of messages into `batch` (cleared first). Returns false once done.
    public mutating func nextSlice(into batch: inout MessageBatch) -> Bool {
        batch.removeAll()
        guard !finished else { return false }
        let target = min(now + sliceMs, config.endMs)
        for i in vehicles.indices {
            vehicles[i].advance(to: target, into: &batch)
        }
        now = target
        if now >= config.endMs {
            for i in vehicles.indices { vehicles[i].finish(into: &batch) }
            finished = true
        }
        batch.sortForPublishing()
        return true
    }

    /// Everything that happened, ordered by start time, vehicle and kind.
    public func truth() -> [TruthEvent] {
        var all = vehicles.flatMap(\.truth).filter { $0.startMs < config.endMs }
        all.sort { a, b in
            a.startMs != b.startMs ? a.startMs < b.startMs : a.vehicle != b.vehicle ? a.vehicle < b.vehicle : a.kind.rawValue < b.kind.rawValue
        }
        return all
    }

    public func topic(_ m: SimMessage) -> String {
        "fleet/\(specs[Int(m.vehicle)].id)/\(m.channel.rawValue)"
    }
}
