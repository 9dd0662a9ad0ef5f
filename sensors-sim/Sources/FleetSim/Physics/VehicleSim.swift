import FleetCore
import SeededRandom

/// One vehicle's true physical state, its unit's sensors and faults, advanced in simulated time.
///
/// Time is on a per-vehicle 1-second grid (offset by a random phase so the fleet does not report in
/// lockstep). With the engine running the physics steps every second; parked, it jumps straight to
/// the next sample, activity change or fault.
struct VehicleSim {
    enum Activity { case parked, idling, driving, refueling }
    enum Destination { case job, station, home }

    let spec: VehicleSpec
    let env: SimEnvironment
    var rng: SimRandom       // driving and decisions
    var faultRng: SimRandom  // what goes wrong and when
    var noiseRng: SimRandom  // sensor noise and slosh

    // True state.
    var t: Int64
    var pos: Point
    var headingRad = 0.0
    var speed = 0.0  // m/s
    var odoKm: Double
    var engineH: Double
    var fuelL: Double
    var ignition = false

    // What the vehicle is doing.
    var activity = Activity.parked
    var activityEnd: Int64 = 0
    var destination = Destination.home
    var route: Route?
    var routeS = 0.0
    var routeSeg = 0
    var nextStop = 0
    var waitUntil: Int64 = 0
    var cruiseFactor = 1.0
    var pendingLatAccel = 0.0
    var lastShiftDay = -1

    // Fuel moving in or out other than by the engine.
    var flows: [FuelFlow] = []
    var slosh: SloshModel
    var sloshFrac = 0.0

    // Sensors and faults.
    var sensors: SensorState
    var faults = FaultState()
    var maintenance: [MaintenanceWatch]
    /// The hilly, capacitive world's state; nil in the standard world.
    var terrain: Terrain?

    var truth: [TruthEvent] = []

    init(spec: VehicleSpec, env: SimEnvironment, records: [(MaintenancePlanRow, ServiceRecordRow)]) {
        self.spec = spec
        self.env = env
        rng = SimRandom(seed: env.seed, stream: UInt64(spec.index), salt: 1)
        faultRng = SimRandom(seed: env.seed, stream: UInt64(spec.index), salt: 2)
        noiseRng = SimRandom(seed: env.seed, stream: UInt64(spec.index), salt: 3)
        let phase = Int64(rng.int(0, 999))
        t = env.startMs + phase
        pos = spec.home
        odoKm = spec.initialOdometerKm
        engineH = spec.initialEngineHours
        fuelL = spec.initialFuelL
        slosh = SloshModel(rng: &noiseRng)
        sensors = SensorState(spec: spec, env: env, start: t, rng: &noiseRng)
        maintenance = records.map { MaintenanceWatch(plan: $0.0, record: $0.1) }
        if env.physics == .hillyCapacitive { terrain = Terrain(seed: env.seed, index: spec.index, start: t) }
        activity = .parked
        if spec.zeroOnIgnitionOff { faults.zeroStart = t }  // parked with the ignition off from the start
        let today = Int(t / 86_400_000)
        if t < shiftStart(day: today) {
            activityEnd = shiftStart(day: today)
        } else if t < shiftEnd(day: today) - 3_600_000 {
            activityEnd = t + Int64(rng.uniform(60, 1_800) * 1000)  // the run starts mid-shift
        } else {
            activityEnd = shiftStart(day: today + 1)
        }
    }

    var engineOn: Bool { ignition }

    /// Advances to `target` (exclusive of anything beyond it), appending published messages.
    mutating func advance(to target: Int64, into batch: inout MessageBatch) {
        while true {
            var next: Int64
            if engineOn || activity == .driving {
                next = t + 1000
            } else {
                next = min(activityEnd, sensors.nextDue, faults.nextTime(), flowEdge(after: t), env.endMs)
                next = gridCeil(max(next, t + 1000))
            }
            if next > target { break }
            step(to: next)
            t = next
            scheduleFaultsIfNewDay()
            applyDueFaults(into: &batch)
            transitionIfDue()
            // A mark is reached when the odometer shows it: units report it to 10 m, rounded, so a
            // vehicle standing 4 m short of the mark shows it reached (faults aside: the truth is the road).
            let shownOdometerKm = (odoKm * 100).rounded() / 100
            for i in maintenance.indices {
                maintenance[i].check(vehicle: spec.id, t: t, odometerKm: shownOdometerKm, engineHours: engineH, into: &truth)
            }
            sampleDue(into: &batch)
        }
    }

    /// Rounds up to this vehicle's 1-second grid.
    func gridCeil(_ x: Int64) -> Int64 {
        let phase = ((t % 1000) + 1000) % 1000
        let k = (x - phase + 999) / 1000
        return k * 1000 + phase
    }

    /// The next start or end of a fuel flow after `x`.
    func flowEdge(after x: Int64) -> Int64 {
        var e = Int64.max
        for f in flows {
            if f.startMs > x { e = min(e, f.startMs) }
            if f.endMs > x { e = min(e, f.endMs) }
        }
        return e
    }

    /// Physics from `t` to `next`.
    mutating func step(to next: Int64) {
        let dtS = Double(next - t) / 1000
        var aLong = 0.0
        if activity == .driving {
            aLong = drive(dt: dtS)
        } else {
            speed = 0
        }
        if engineOn {
            engineH += dtS / 3600
            if speed < 0.5 { fuelL -= spec.idleLph * dtS / 3600 * (terrain?.coldFactor(at: t) ?? 1) }
        }
        terrain?.heat(dtS: dtS, engineOn: ignition)
        for f in flows {
            let a = max(f.startMs, t), b = min(f.endMs, next)
            if b > a { fuelL += f.litresPerMs * Double(b - a) }
        }
        flows.removeAll { $0.endMs <= next }
        fuelL = min(max(fuelL, 0), spec.tankL)
        if speed > 0.5 || activity == .driving {
            let aLat = pendingLatAccel
            pendingLatAccel *= 0.3
            sloshFrac = slosh.step(aLong: aLong, aLat: aLat, speed: speed, fill: fuelL / spec.tankL,
                                   scale: env.sensors.slosh, roughRoads: env.sensors.roughRoads, rng: &noiseRng)
        } else {
            slosh.settle()
            sloshFrac = 0
        }
    }

    /// Schedules fuel moving at a constant rate over [start, end) and returns the true volume.
    mutating func addFlow(start: Int64, end: Int64, litres: Double) {
        flows.append(FuelFlow(startMs: start, endMs: end, litresPerMs: litres / Double(end - start)))
        closeFuelFaults(at: t)
    }
}

struct FuelFlow {
    var startMs: Int64
    var endMs: Int64
    /// Positive fills, negative drains.
    var litresPerMs: Double
}

/// Scenario-wide settings every vehicle needs.
struct SimEnvironment: Sendable {
    var seed: UInt64
    var startMs: Int64
    var endMs: Int64
    var region: Region
    var sensors: SensorRealism
    var faults: FaultRates
    var movingPeriodMs: Int64
    var parkedPeriodMs: Int64
    var physics: PhysicsModel = .standard
}
