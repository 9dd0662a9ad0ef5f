import FleetCore
@testable import FleetSim

/// Runs a scenario to the end without I/O and keeps every message.
struct SimRun {
    var sim: FleetSimulation
    var messages: [(topic: String, payload: [UInt8], message: SimMessage)] = []
    var truth: [TruthEvent] = []

    init(_ config: ScenarioConfig) {
        sim = FleetSimulation(config: config)
        var batch = MessageBatch()
        while sim.nextSlice(into: &batch) {
            for m in batch.messages {
                messages.append((sim.topic(m), Array(batch.payload(m)), m))
            }
        }
        truth = sim.truth()
    }

    /// One published reading with the true time it was measured at.
    struct Published {
        var reading: Reading
        var trueMs: Int64
        var publishAtMs: Int64
        var vehicle: Int
    }

    /// Decoded readings. True times are exact for single-reading messages; inside a backlog array
    /// they are derived from the device-time offsets to the first reading.
    func published() -> [Published] {
        let decoder = PayloadDecoder()
        var out: [Published] = []
        for m in messages {
            let d = decoder.decode(topic: m.topic, payload: m.payload)
            precondition(d.rejections.isEmpty, "rejected: \(d.rejections) in \(String(decoding: m.payload, as: UTF8.self).prefix(300))")
            guard let first = d.readings.first else { continue }
            for var r in d.readings {
                // Put back what the decoder dropped as impossible, to check what was really sent.
                for i in d.impossible where i.ts == r.ts {
                    switch i.field {
                    case "lat": r.lat = i.value
                    case "lon": r.lon = i.value
                    case "fuel_l": r.fuelL = i.value
                    case "fuel_pct": r.fuelPct = i.value
                    case "odometer_km": r.odometerKm = i.value
                    default: break
                    }
                }
                out.append(Published(reading: r, trueMs: m.message.trueMs + (r.ts - first.ts), publishAtMs: m.message.publishAtMs,
                                     vehicle: Int(m.message.vehicle)))
            }
        }
        return out
    }

    func spec(_ vehicle: String) -> VehicleSpec { sim.specs.first { $0.id == vehicle }! }
}

let fixedStart: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

func smallConfig(_ scenario: NamedScenario, vehicles: Int = 20, hours: Double = 30, seed: UInt64 = 7) -> ScenarioConfig {
    var c = scenario.config(seed: seed, vehicles: vehicles, days: hours / 24)
    c.startMs = fixedStart
    return c
}

/// Fuel in litres whichever way the unit reports it.
func litres(_ r: Reading, tank: Double) -> Double? {
    if let l = r.fuelL { return l }
    if let p = r.fuelPct { return p / 100 * tank }
    return nil
}
