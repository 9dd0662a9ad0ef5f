import FleetCore

/// Turning the true state into what the unit reports: noise, slosh, quantisation and faults.
extension VehicleSim {
    mutating func sampleDue(into batch: inout MessageBatch) {
        for i in sensors.channels.indices where sensors.next[i] <= t {
            let ch = sensors.channels[i]
            sensors.next[i] = t + (ignition ? sensors.periodOn[i] : sensors.periodOff[i])
            sensors.seq[i] += 1
            var s = Reading(vehicleID: spec.id, channel: ch, ts: t + (t < faults.skewUntil ? faults.skewMs : 0), seq: sensors.seq[i])
            if ch == .telemetry || ch == .fuel { fillFuel(&s) }
            if ch == .telemetry || ch == .odometer {
                fillOdometer(&s)
                s.ignition = ignition
                s.engineHours = (engineH * 100).rounded() / 100
            }
            if ch == .telemetry || ch == .gps { fillGPS(&s) }
            emit(s, channel: i, into: &batch)
        }
    }

    mutating func fillFuel(_ s: inout Reading) {
        let tank = spec.tankL
        // Warm fuel takes more room: the probe sees volume at the current temperature.
        let expansion = 1 + 0.00095 * env.sensors.thermal * (SensorState.fuelTemperature(at: t) - 15)
        var seen = fuelL * expansion
        if let w = terrain {
            seen = tank * w.reading(volumeFraction: seen / tank, fuelC: SensorState.fuelTemperature(at: t))
        }
        var level = sensors.calibrated(seen + sloshFrac * tank, tank: tank)
        let sd = env.sensors.fuelNoise * 0.004 * tank
        if sd > 0 { level += noiseRng.normal(0, sd) }
        var allowOutOfRange = false
        let continuesOutOfRange = faults.outOfRangeOpen
        faults.outOfRangeOpen = false
        if faults.stuck != nil, let v = sensors.lastFuelL {
            faults.stuck!.samples += 1
            level = v
        } else if faults.dropout != nil {
            faults.dropout!.samples += 1
            level = noiseRng.uniform(0, 0.003) * tank
        } else if spec.zeroOnIgnitionOff && !ignition {
            faults.zeroSamples += 1
            level = 0
        } else if faults.outOfRangePending > 0 {
            faults.outOfRangePending -= 1
            level = faultRng.chance(0.7) ? tank * faultRng.uniform(1.15, 1.5) : -faultRng.uniform(1, 8)
            allowOutOfRange = true
            faults.outOfRangeOpen = true
            // Consecutive impossible levels are one incident (one flag), so one true event spans them.
            if continuesOutOfRange, let last = truth.lastIndex(where: { $0.kind == .fuelOutOfRange }) {
                truth[last].endMs = t
            } else {
                var e = TruthEvent(kind: .fuelOutOfRange, vehicle: spec.id, startMs: t, endMs: t)
                e.cause = level < 0 ? "negative" : "above_tank"
                truth.append(e)
            }
        }
        if !allowOutOfRange { level = min(max(level, 0), tank) }
        if faults.stuck == nil { sensors.lastFuelL = level }
        if spec.rawProbe {
            var pct = level / tank * 100
            if env.sensors.quantise { pct = (level / tank * 4095).rounded() / 4095 * 100 }
            s.fuelPct = pct
        } else {
            s.fuelL = env.sensors.quantise ? (level * 10).rounded() / 10 : level
        }
    }

    mutating func fillOdometer(_ s: inout Reading) {
        let before = sensors.lastOdometer ?? max(0, odoKm + faults.odoOffset)
        if let kind = faults.odoPending {
            faults.odoPending = nil
            let truthKind: TruthKind
            switch kind {
            case .odometerReset:
                faults.odoOffset = -odoKm
                truthKind = .odometerRollback
            case .odometerRollback:
                faults.odoOffset -= min(faultRng.uniform(500, 30_000), max(0, before - 1))
                truthKind = .odometerRollback
            default:
                faults.odoOffset += faultRng.uniform(500, 5_000)
                truthKind = .odometerJump
            }
            let after = (max(0, odoKm + faults.odoOffset) * 100).rounded() / 100
            var e = TruthEvent(kind: truthKind, vehicle: spec.id, startMs: t, endMs: t)
            e.fromKm = before
            e.toKm = after
            if kind == .odometerReset { e.cause = "reset" }
            truth.append(e)
        }
        let value = (max(0, odoKm + faults.odoOffset) * 100).rounded() / 100
        sensors.lastOdometer = value
        s.odometerKm = value
    }

    mutating func fillGPS(_ s: inout Reading) {
        var p = pos
        let sd = env.sensors.gpsNoiseM
        if sd > 0 { p = Point(x: p.x + noiseRng.normal(0, sd), y: p.y + noiseRng.normal(0, sd)) }
        var (lat, lon) = env.region.latLon(p)
        if let kind = faults.gpsPending {
            faults.gpsPending = nil
            if kind == .gpsInvalid {
                lat = 0; lon = 0
                truth.append(TruthEvent(kind: .gpsInvalid, vehicle: spec.id, startMs: t, endMs: t))
            } else {
                // A multipath or cold-start fix tens to hundreds of km away, for one report.
                let d = faultRng.uniform(30_000, 300_000), a = faultRng.uniform(0, 2 * Double.pi)
                (lat, lon) = env.region.latLon(Point(x: p.x + d * _cos(a), y: p.y + d * _sin(a)))
                truth.append(TruthEvent(kind: .gpsJump, vehicle: spec.id, startMs: t, endMs: t))
            }
        }
        s.lat = lat
        s.lon = lon
        var kmh = speed * 3.6
        if kmh > 1 && sd > 0 { kmh = max(0, kmh + noiseRng.normal(0, 0.8)) }
        s.speedKmh = (kmh * 10).rounded() / 10
        var deg = headingRad * 180 / Double.pi
        if deg < 0 { deg += 360 }
        s.headingDeg = deg.rounded() >= 360 ? 0 : deg.rounded()
    }

    /// Publishes now, or buffers while the unit is offline. Some messages are published twice,
    /// as a unit does when it misses a PUBACK.
    mutating func emit(_ s: Reading, channel i: Int, into batch: inout MessageBatch) {
        if faults.offlineUntil > t {
            if !sensors.backlog[i].isEmpty { sensors.backlog[i].append(UInt8(ascii: ",")) }
            s.appendJSON(to: &sensors.backlog[i])
            sensors.backlogEnds[i].append(sensors.backlog[i].count)
            sensors.backlogTrue[i].append(t)
            return
        }
        let start = batch.bytes.count
        s.appendJSON(to: &batch.bytes)
        batch.seal(publishAt: t, trueMs: t, vehicle: spec.index, channel: sensors.channels[i], readings: 1, from: start)
        if faultRng.chance(env.faults.duplicate) {
            let end = batch.bytes.count
            let copyStart = end
            batch.bytes.append(contentsOf: Array(batch.bytes[start..<end]))
            batch.seal(publishAt: t, trueMs: t, vehicle: spec.index, channel: sensors.channels[i], readings: 1, from: copyStart, duplicate: true)
        }
    }

    /// Back online: the backlog goes out as arrays of up to 500 readings (well under 256 KiB).
    mutating func flushBacklog(at publishAt: Int64, into batch: inout MessageBatch) {
        for i in sensors.channels.indices where !sensors.backlogEnds[i].isEmpty {
            let bytes = sensors.backlog[i], ends = sensors.backlogEnds[i], trueTimes = sensors.backlogTrue[i]
            var first = 0
            while first < ends.count {
                let last = min(first + 500, ends.count) - 1
                let from = first == 0 ? 0 : ends[first - 1] + 1  // skip the separating comma
                let start = batch.bytes.count
                batch.bytes.append(UInt8(ascii: "["))
                batch.bytes.append(contentsOf: bytes[from..<ends[last]])
                batch.bytes.append(UInt8(ascii: "]"))
                batch.seal(publishAt: publishAt, trueMs: trueTimes[first], vehicle: spec.index, channel: sensors.channels[i],
                           readings: last - first + 1, from: start)
                first = last + 1
            }
            sensors.backlog[i].removeAll(keepingCapacity: false)
            sensors.backlogEnds[i].removeAll()
            sensors.backlogTrue[i].removeAll()
        }
    }
}
