import Foundation
import Mosquitto

/// Runs a scenario: generates slices, publishes them paced by `speed`, writes the truth.
public struct ScenarioRunner {
    public struct Stats: Sendable {
        public var messages = 0
        public var readings = 0
        /// Readings published a second time; fleetd should store `readings - duplicateReadings` rows.
        public var duplicateReadings = 0
        public var bytes = 0
        public var wallSeconds = 0.0
        public var simulatedSeconds = 0.0
        public var truthCounts: [String: Int] = [:]
        public var acknowledged = 0
        public var refused = 0
        public var stoppedEarly = false
    }

    public var config: ScenarioConfig
    /// Simulated seconds per wall second; 0 = as fast as possible.
    public var speed: Double
    public var progress: (@Sendable (String) -> Void)?
    /// A hard bound on the run's wall time.
    public var maxWallSeconds = 3600.0

    public init(config: ScenarioConfig, speed: Double) {
        self.config = config
        self.speed = speed
    }

    /// Publishes through `publisher` (nil: generate only, to measure or to write the truth).
    public func run(publisher: MQTTPublisher?, sim: inout FleetSimulation) throws -> Stats {
        var stats = Stats()
        let clock = PacingClock()
        let topics = TopicTable(vehicleIDs: sim.specs.map(\.id))
        var batch = MessageBatch()
        var lastReport = 0.0
        while sim.nextSlice(into: &batch) {
            if let publisher {
                try batch.bytes.withUnsafeBytes { (all: UnsafeRawBufferPointer) throws in
                    for m in batch.messages {
                        let payload = UnsafeRawBufferPointer(rebasing: all[m.offset..<(m.offset + m.length)])
                        try publisher.publish(topic: topics.topic(vehicle: Int(m.vehicle), channel: m.channel), payload: payload)
                    }
                }
            }
            withExtendedLifetime(topics) {}
            stats.messages += batch.messages.count
            for m in batch.messages {
                stats.readings += Int(m.readings)
                if m.duplicate { stats.duplicateReadings += Int(m.readings) }
            }
            stats.bytes += batch.bytes.count
            let simSeconds = Double(sim.now - config.startMs) / 1000
            if speed > 0 {
                if let publisher { try publisher.idle(seconds: simSeconds / speed - clock.elapsed) } else { clock.sleep(until: simSeconds / speed) }
            }
            if clock.elapsed > maxWallSeconds {
                stats.stoppedEarly = true
                break
            }
            if let progress, clock.elapsed - lastReport >= 5 {
                lastReport = clock.elapsed
                progress(String(format: "sim %@  %d readings  %.0f readings/s", RFC3339.format(sim.now), stats.readings, Double(stats.readings) / clock.elapsed))
            }
        }
        if let publisher {
            if !publisher.drain(timeout: 60) { progress?("warning: \(publisher.inFlight) messages still unacknowledged") }
            stats.acknowledged = publisher.acknowledged
            stats.refused = publisher.refusedByBroker
        }
        stats.wallSeconds = clock.elapsed
        stats.simulatedSeconds = Double(config.endMs - config.startMs) / 1000
        for e in sim.truth() { stats.truthCounts[e.kind.rawValue, default: 0] += 1 }
        return stats
    }

    /// The truth file: a `scenario` header line, a `vehicle` line per vehicle, then one event per line.
    public static func writeTruth(_ sim: FleetSimulation, to path: String) throws {
        let c = sim.config
        var text = "{\"kind\":\"scenario\",\"vehicle\":\"*\",\"start\":\"\(RFC3339.format(c.startMs))\",\"end\":\"\(RFC3339.format(c.endMs))\",\"name\":\"\(c.name)\",\"seed\":\(c.seed),\"vehicles\":\(c.vehicles)}\n"
        // One line per vehicle: what detectors may legitimately know about it (and what they may not).
        for v in sim.specs {
            text += "{\"kind\":\"vehicle\",\"vehicle\":\"\(v.id)\",\"start\":\"\(RFC3339.format(c.startMs))\",\"end\":\"\(RFC3339.format(c.endMs))\""
            text += ",\"class\":\"\(v.vehicleClass.rawValue)\",\"tank_l\":\(TruthCodec.fmt(v.tankL)),\"consumption_l_100km\":\(TruthCodec.fmt(v.consumptionL100))"
            text += ",\"idle_lph\":\(TruthCodec.fmt(v.idleLph)),\"split_sensors\":\(v.splitSensors),\"raw_probe\":\(v.rawProbe),\"zero_on_ignition_off\":\(v.zeroOnIgnitionOff)}\n"
        }
        for e in sim.truth() {
            text += TruthCodec.line(e)
            text += "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
