/// Scheduling and applying injected faults, and closing their truth records.
extension VehicleSim {
    mutating func scheduleFaultsIfNewDay() {
        let day = dayIndex(t)
        guard day != faults.lastDay else { return }
        faults.lastDay = day
        let d0 = Int64(day) * Self.dayMs
        var list: [(time: Int64, kind: FaultKind)] = []
        for kind in FaultKind.allCases {
            let rate = kind.rate(env.faults)
            var n = Int(rate)
            if faultRng.chance(rate - Double(n)) { n += 1 }
            for _ in 0..<n {
                let time: Int64
                if kind.duringShift {
                    let s = shiftStart(day: day), e = shiftEnd(day: day)
                    time = s + Int64(faultRng.unit() * Double(max(e - s - 5_400_000, 1)))
                } else {
                    time = d0 + Int64(faultRng.unit() * Double(Self.dayMs))
                }
                if time >= t { list.append((time, kind)) }  // a run starting mid-day skips the morning's faults
            }
        }
        list.sort { $0.time < $1.time }
        faults.scheduled = list
        faults.cursor = 0
    }

    mutating func applyDueFaults(into batch: inout MessageBatch) {
        if let s = faults.stuck, t >= s.until { closeStuck(at: s.until) }
        if let d = faults.dropout, t >= d.until { closeDropout(at: d.until) }
        if faults.offlineUntil > 0 && t >= faults.offlineUntil {
            faults.offlineUntil = 0
            flushBacklog(at: t, into: &batch)
        }
        while faults.cursor < faults.scheduled.count && faults.scheduled[faults.cursor].time <= t {
            let kind = faults.scheduled[faults.cursor].kind
            faults.cursor += 1
            apply(kind)
        }
    }

    private mutating func apply(_ kind: FaultKind) {
        let quiet = flows.isEmpty && faults.stuck == nil && faults.dropout == nil
        switch kind {
        case .dropout:
            // A power dip or loose connector: readings near 0 for a minute or a few.
            guard quiet, !(spec.zeroOnIgnitionOff && !ignition) else { return }
            faults.dropout = FaultEpisode(start: t, until: t + Int64(faultRng.uniform(90, 360) * 1000))
        case .stuck:
            guard quiet, sensors.lastFuelL != nil else { return }
            faults.stuck = FaultEpisode(start: t, until: t + Int64(faultRng.uniform(1, 5) * 3_600_000), startKm: odoKm)
        case .outOfRange:
            faults.outOfRangePending = faultRng.int(1, 2)
        case .odometerRollback, .odometerReset, .odometerJump:
            faults.odoPending = kind
        case .gpsJump, .gpsInvalid:
            faults.gpsPending = kind
        case .clockSkew:
            guard faults.skewUntil <= t else { return }
            faults.skewUntil = min(t + Int64(faultRng.uniform(10, 360) * 60_000), env.endMs)
            // Drift of minutes to hours, or an RTC reset that puts the clock days ahead; never whole
            // seconds, so skewed timestamps cannot collide with later true ones.
            let ahead = faultRng.chance(0.6) ? faultRng.uniform(5 * 60_000, 3 * 3_600_000) : faultRng.uniform(86_400_000, 30 * 86_400_000)
            faults.skewMs = Int64(ahead / 1000) * 1000 + Int64(faultRng.int(1, 999))
            var e = TruthEvent(kind: .clockSkew, vehicle: spec.id, startMs: t, endMs: faults.skewUntil)
            e.skewMs = faults.skewMs
            faults.skewTruth = truth.count
            truth.append(e)
        case .offline:
            guard faults.offlineUntil == 0 else { return }
            // Log-uniform: most outages are minutes, some are hours.
            let maxMin = max(env.faults.offlineMaxMinutes, 6)
            let mins = 5 * _exp(faultRng.unit() * _log(maxMin / 5))
            faults.offlineUntil = min(t + Int64(mins * 60_000), env.endMs)
            faults.offlineTruth = truth.count
            truth.append(TruthEvent(kind: .offline, vehicle: spec.id, startMs: t, endMs: faults.offlineUntil))
        }
    }

    mutating func closeStuck(at end: Int64) {
        guard let s = faults.stuck else { return }
        faults.stuck = nil
        // Stuck means the same value at least twice in a row.
        if s.samples >= 2 {
            var e = TruthEvent(kind: .fuelSensorStuck, vehicle: spec.id, startMs: s.start, endMs: min(end, t))
            // How far it drove meanwhile (true odometer): a detector can only see a stuck level over distance.
            e.fromKm = (s.startKm * 100).rounded() / 100
            e.toKm = (odoKm * 100).rounded() / 100
            truth.append(e)
        }
    }

    mutating func closeDropout(at end: Int64) {
        guard let d = faults.dropout else { return }
        faults.dropout = nil
        if d.samples >= 1 {
            var e = TruthEvent(kind: .fuelDropout, vehicle: spec.id, startMs: d.start, endMs: min(end, t))
            e.cause = "power_dip"
            truth.append(e)
        }
    }

    /// Fuel moving in or out ends sensor faults that would hide it.
    mutating func closeFuelFaults(at time: Int64) {
        closeStuck(at: time)
        closeDropout(at: time)
    }

    mutating func noteIgnitionForDropouts(on: Bool) {
        guard spec.zeroOnIgnitionOff else { return }
        if !on {
            faults.zeroStart = t
            faults.zeroSamples = 0
        } else if let start = faults.zeroStart {
            closeZeroEpisode(start: start, end: t)
        }
    }

    private mutating func closeZeroEpisode(start: Int64, end: Int64) {
        faults.zeroStart = nil
        if faults.zeroSamples > 0 {
            var e = TruthEvent(kind: .fuelDropout, vehicle: spec.id, startMs: start, endMs: end)
            e.cause = "ignition_off"
            truth.append(e)
        }
        faults.zeroSamples = 0
    }

    /// At the end of the run: publish what is buffered and close open records.
    mutating func finish(into batch: inout MessageBatch) {
        if faults.offlineUntil > 0 {
            faults.offlineUntil = 0
            // Other vehicles have published up to the end: the backlog goes out then, not in the past.
            flushBacklog(at: env.endMs, into: &batch)
        }
        closeStuck(at: t)
        closeDropout(at: t)
        if let z = faults.zeroStart { closeZeroEpisode(start: z, end: t) }
        if let i = faults.skewTruth { truth[i].endMs = min(truth[i].endMs, t) }
        if let i = faults.offlineTruth { truth[i].endMs = min(truth[i].endMs, t) }
    }
}
