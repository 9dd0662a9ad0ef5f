import SeededRandom
/// The working day: warm up, drive legs between jobs, refuel when low, go home, park overnight.
extension VehicleSim {
    static let dayMs: Int64 = 86_400_000

    /// UTC day number: shifts follow the calendar whatever time the run starts.
    func dayIndex(_ x: Int64) -> Int { Int(x / Self.dayMs) }

    /// The day's shift start, jittered by up to ±25 minutes (deterministic per vehicle and day).
    func shiftStart(day: Int) -> Int64 {
        var r = SimRandom(seed: env.seed, stream: UInt64(spec.index), salt: 1_000 + UInt64(day))
        let min = spec.shiftStartMin + r.uniform(-25, 25)
        return Int64(day) * Self.dayMs + Int64(min * 60_000)
    }

    func shiftEnd(day: Int) -> Int64 {
        shiftStart(day: day) + Int64(spec.shiftHours * 3_600_000)
    }

    mutating func setIgnition(_ on: Bool) {
        guard on != ignition else { return }
        ignition = on
        sensors.ignitionChanged(at: t)
        terrain?.ignition(on: on, at: t)
        noteIgnitionForDropouts(on: on)
    }

    /// Called when a timed activity (parked, idling, refueling) ends.
    mutating func transitionIfDue() {
        guard activity != .driving, t >= activityEnd else { return }
        switch activity {
        case .parked:
            if t >= env.endMs { activityEnd = .max; return }
            activity = .idling
            activityEnd = t + Int64(rng.uniform(30, 180) * 1000)
            setIgnition(true)
        case .refueling:
            activity = .idling
            activityEnd = t + Int64(rng.uniform(20, 60) * 1000)
            setIgnition(true)
        case .idling:
            chooseNextDrive()
        case .driving:
            break
        }
    }

    mutating func chooseNextDrive() {
        let day = dayIndex(t)
        let tank = spec.tankL
        if fuelL < spec.refuelBelow * tank {
            startDrive(to: env.region.nearestStation(to: pos), kind: .station)
        } else if t >= shiftEnd(day: day) || t < shiftStart(day: day) - 3_600_000 {
            if pos.distance(to: spec.home) < 50 {
                parkOvernight()
            } else {
                startDrive(to: spec.home, kind: .home)
            }
        } else {
            let cls = spec.vehicleClass
            let km = rng.uniform(cls.legKm.lowerBound, cls.legKm.upperBound)
            let a = rng.uniform(0, 2 * Double.pi)
            // Lean back towards home so routes stay inside the region.
            var dest = Point(x: pos.x + km * 1000 * _cos(a), y: pos.y + km * 1000 * _sin(a))
            dest = Point(x: dest.x * 0.85 + spec.home.x * 0.15, y: dest.y * 0.85 + spec.home.y * 0.15)
            startDrive(to: env.region.clamp(dest), kind: .job)
        }
    }

    /// Called by the driving step on arrival.
    mutating func arrive() {
        speed = 0
        switch destination {
        case .station:
            terrain?.arrivedAtStation()
            refuel()
        case .home:
            parkOvernight()
        case .job:
            if faultRng.chance(env.faults.drainShortStop / 4) {
                shortStopTheft()
            } else if rng.chance(0.75) {
                activity = .parked
                let mins = spec.vehicleClass == .truck ? rng.uniform(15, 90) : rng.uniform(5, 40)
                activityEnd = t + Int64(mins * 60_000)
                setIgnition(false)
            } else {
                activity = .idling
                activityEnd = t + Int64(rng.uniform(2, 10) * 60_000)
            }
        }
    }

    /// At the pump: engine off, wait, fill over 1–5 minutes to near full or a partial fill, wait, leave.
    mutating func refuel() {
        setIgnition(false)
        activity = .refueling
        let pre = Int64(rng.uniform(40, 150) * 1000)
        let post = Int64(rng.uniform(30, 120) * 1000)
        let tank = spec.tankL
        let target = rng.chance(0.7) ? tank * rng.uniform(0.95, 1.0) : min(tank * 0.98, fuelL + tank * rng.uniform(0.25, 0.6))
        let volume = target - fuelL
        let lpm = spec.vehicleClass == .truck ? rng.uniform(60, 90) : rng.uniform(25, 40)
        let dur = Int64(min(max(volume / lpm, 1), 5) * 60_000)
        let start = t + pre, end = start + dur
        activityEnd = end + post
        guard volume > 2, end <= env.endMs else { return }
        var e = TruthEvent(kind: .refuel, vehicle: spec.id, startMs: start, endMs: end)
        e.volumeL = volume
        e.levelBeforeL = fuelL
        e.levelAfterL = target
        truth.append(e)
        addFlow(start: start, end: end, litres: volume)
    }

    mutating func parkOvernight() {
        setIgnition(false)
        activity = .parked
        var day = dayIndex(t)
        if t >= shiftStart(day: day) { day += 1 }
        activityEnd = shiftStart(day: day)
        // Siphoning while parked: 8–80 L over 2–20 minutes, sometime in the night.
        let room = activityEnd - t
        guard faultRng.chance(env.faults.drainParked), room > 3 * 3_600_000 else { return }
        let start = t + Int64(faultRng.uniform(3_600_000, Double(room - 3_600_000)))
        let dur = Int64(faultRng.uniform(2, 20) * 60_000)
        let volume = min(faultRng.uniform(8, 80), fuelL - 3)
        guard volume >= 8, start + dur <= env.endMs else { return }
        addDrain(start: start, end: start + dur, volume: volume, moving: false)
    }

    /// A few drains happen on the road (a leak, or a theft at a stop between legs).
    mutating func maybeStartMovingDrain() {
        guard faultRng.chance(env.faults.drainMoving / 4) else { return }
        let start = t + Int64(faultRng.uniform(30, 240) * 1000)
        let dur = Int64(faultRng.uniform(5, 20) * 60_000)
        let volume = min(faultRng.uniform(8, 30), fuelL - 3 - (spec.consumptionL100 * 0.3))
        guard volume >= 8, start + dur <= env.endMs else { return }
        addDrain(start: start, end: start + dur, volume: volume, moving: true)
    }

    /// Siphoning at a short stop between two drives, engine off or idling: the level before is the
    /// trip's (sloshing), the level after settles only briefly before the next drive.
    mutating func shortStopTheft() {
        let mins = faultRng.uniform(5, 15)
        let idling = faultRng.chance(0.5)
        activity = idling ? .idling : .parked
        activityEnd = t + Int64(mins * 60_000)
        if !idling { setIgnition(false) }
        let start = t + Int64(faultRng.uniform(60, 120) * 1000)
        let dur = Int64(faultRng.uniform(2, max(2.5, mins - 3.5)) * 60_000)
        let volume = min(faultRng.uniform(8, 60), fuelL - 3)
        guard volume >= 8, start + dur < activityEnd, activityEnd <= env.endMs else { return }
        addDrain(start: start, end: start + dur, volume: volume, moving: false, cause: "short_stop")
    }

    mutating func addDrain(start: Int64, end: Int64, volume: Double, moving: Bool, cause: String? = nil) {
        var e = TruthEvent(kind: .drain, vehicle: spec.id, startMs: start, endMs: end)
        e.volumeL = volume
        e.moving = moving
        e.cause = cause
        e.tankShare = volume / spec.tankL
        if !moving && cause == nil {  // parked: nothing else moves the level, so the levels are exact
            e.levelBeforeL = fuelL
            e.levelAfterL = fuelL - volume
        }
        truth.append(e)
        addFlow(start: start, end: end, litres: -volume)
    }
}
