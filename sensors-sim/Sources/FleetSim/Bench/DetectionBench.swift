import FleetCore
import Foundation

/// Measures fleetd's detection stage on one core against the payload decoder on the same
/// traffic (a simulated fleet as fleet-sim publishes it), so its share of the pipeline's work
/// can be judged: detection should cost at most a fifth of what ingest does.
public enum DetectionBench {
    public struct Result: Sendable {
        public var name: String
        public var readingsPerSecond: Double
    }

    /// The scenario's messages, and its readings with their publish times as receipt times.
    public static func traffic(_ config: ScenarioConfig) -> (messages: [(topic: String, payload: [UInt8])], readings: [(Reading, Int64)]) {
        var sim = FleetSimulation(config: config)
        var batch = MessageBatch()
        var messages: [(topic: String, payload: [UInt8])] = []
        var readings: [(Reading, Int64)] = []
        let decoder = PayloadDecoder()
        var decoded = DecodedMessage()
        while sim.nextSlice(into: &batch) {
            for m in batch.messages {
                let topic = sim.topic(m)
                let payload = Array(batch.payload(m))
                messages.append((topic, payload))
                decoded.removeAll()
                payload.withUnsafeBytes { decoder.decode(topic: topic, payload: $0, into: &decoded) }
                for r in decoded.readings { readings.append((r, m.publishAtMs)) }
            }
        }
        return (messages, readings)
    }

    public static func run(messages: [(topic: String, payload: [UInt8])], readings: [(Reading, Int64)],
                           capacities: [String: Double], book: MaintenanceBook? = nil, minSeconds: Double = 2) -> [Result] {
        let decode = DecoderBench.measure(minSeconds) { DecoderBench.decodeAll(messages) }
        let configs = capacities.mapValues { VehicleConfig(capacityL: $0) }
        let detect = DecoderBench.measure(minSeconds) {
            var fleet = FleetDetection(windowMs: 10_000)
            fleet.setConfigs(configs)
            if let book { fleet.setMaintenance(book, raised: []) }
            var events: [DetectionEvent] = []
            for (r, at) in readings {
                _ = fleet.ingest(r, arrivalMs: at, into: &events)
                if events.count > 1000 { events.removeAll(keepingCapacity: true) }
            }
            return readings.count
        }
        return [
            Result(name: "PayloadDecoder (decode only)", readingsPerSecond: decode),
            Result(name: book == nil ? "FleetDetection (no maintenance plans)" : "FleetDetection (every detector, plans)", readingsPerSecond: detect),
        ]
    }

    /// What one snapshot of every vehicle costs, as the pipeline writes it (JSON per vehicle):
    /// total bytes and seconds to encode, after feeding `readings`.
    public static func snapshot(readings: [(Reading, Int64)], capacities: [String: Double],
                                encode: (VehicleState) -> Int) -> (vehicles: Int, bytes: Int, seconds: Double) {
        var fleet = FleetDetection(windowMs: 10_000)
        fleet.setConfigs(capacities.mapValues { VehicleConfig(capacityL: $0) })
        var events: [DetectionEvent] = []
        // Stop mid-stream, where reorder windows hold readings.
        for (r, at) in readings.prefix(readings.count / 2) { _ = fleet.ingest(r, arrivalMs: at, into: &events) }
        let clock = ContinuousClock()
        let start = clock.now
        var bytes = 0
        let changed = fleet.takeChanged()
        for (_, state) in changed { bytes += encode(state) }
        let d = clock.now - start
        return (changed.count, bytes, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
}
