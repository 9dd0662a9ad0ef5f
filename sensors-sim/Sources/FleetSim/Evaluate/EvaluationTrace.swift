import FleetCore

extension InProcessEvaluation {
    /// The traced vehicle's readings in device-time order between two times, one line each, with the
    /// truth and fleetd's events for it interleaved: what an engineer reads to see why a call was made.
    public func traceLines(vehicle: String, fromMs: Int64, toMs: Int64) -> [String] {
        func time(_ ms: Int64) -> String { Timestamp.formatRFC3339(ms: ms) }
        func num(_ v: Double?, _ unit: String) -> String? {
            v.map { (($0 * 100).rounded() / 100).description + unit }
        }
        var lines: [(Int64, String)] = []
        for (r, arrival) in traced where r.vehicleID == vehicle && r.ts >= fromMs && r.ts <= toMs {
            var f: [String] = [r.channel.rawValue]
            f += [num(r.fuelL, " L"), num(r.fuelPct, " %"), num(r.odometerKm, " km"), num(r.speedKmh, " km/h")].compactMap { $0 }
            if let i = r.ignition { f.append(i ? "ign on" : "ign off") }
            if let lat = r.lat, let lon = r.lon { f.append("at \(num(lat, "")!),\(num(lon, "")!)") }
            if !r.flags.isEmpty { f.append("flags \(r.flags.rawValue)") }
            if arrival - r.ts > 60_000 { f.append("received +\((arrival - r.ts) / 1000) s") }
            lines.append((r.ts, "  " + time(r.ts) + " " + f.joined(separator: " ")))
        }
        for t in truth where t.vehicle == vehicle && t.endMs >= fromMs && t.startMs <= toMs {
            lines.append((t.startMs, "T " + time(t.startMs) + " TRUTH \(t.kind.rawValue) until \(time(t.endMs))"
                          + (t.volumeL.map { " vol \($0)" } ?? "") + (t.cause.map { " \($0)" } ?? "")))
        }
        for e in events {
            guard let d = e.detected, d.vehicle == vehicle, d.endMs >= fromMs, d.startMs <= toMs else { continue }
            var line = "F " + time(d.startMs) + " FLEETD \(d.kind) until \(time(d.endMs))"
            if case .transaction(let t) = e { line += " \(t.levelBeforeL)→\(t.levelAfterL) L" }
            if case .anomaly(let a) = e { line += " \(a.detailsJSON)" }
            lines.append((d.startMs, line))
        }
        return lines.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The traced vehicle's fuel between two times as a picture, with the truth and fleetd's events.
    public func plot(vehicle: String, fromMs: Int64, toMs: Int64) -> FuelPlot {
        FuelPlot(vehicle: vehicle, readings: traced.map(\.reading), truth: truth, detected: detectedEvents,
                 fromMs: fromMs, toMs: toMs, tankL: tanks[vehicle])
    }
}
