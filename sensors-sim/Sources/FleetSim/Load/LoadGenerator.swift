import Dispatch
import FleetCore
import Mosquitto
import SeededRandom
import Synchronization

/// Publishes synthetic readings at a fixed rate or as fast as the broker takes them, then stops.
public enum LoadGenerator {
    public struct Result: Sendable {
        public var readings = 0
        public var messages = 0
        public var bytes = 0
        public var seconds = 0.0
        public var acknowledged = 0
        public var refused = 0
        public var errors: [String] = []
        public var readingsPerSecond: Double { seconds > 0 ? Double(readings) / seconds : 0 }
    }

    public static func run(_ config: LoadConfig) -> Result {
        let conns = max(1, config.connections)
        let results = Mutex<[Result]>([])
        let clock = PacingClock()
        DispatchQueue.concurrentPerform(iterations: conns) { k in
            let r = worker(k, of: conns, config: config)
            results.withLock { $0.append(r) }
        }
        var total = Result()
        for r in results.withLock({ $0 }) {
            total.readings += r.readings
            total.messages += r.messages
            total.bytes += r.bytes
            total.acknowledged += r.acknowledged
            total.refused += r.refused
            total.errors += r.errors
        }
        total.seconds = clock.elapsed
        return total
    }

    /// One connection publishing for its share of the vehicles.
    static func worker(_ k: Int, of n: Int, config: LoadConfig) -> Result {
        var result = Result()
        let publisher: MQTTPublisher
        do {
            var broker = config.broker
            broker.clientID = "\(config.clientIDPrefix)-\(k)"
            publisher = try MQTTPublisher(settings: broker, qos: config.qos, maxInflight: config.maxInflight)
        } catch {
            result.errors.append(error.description)
            return result
        }
        var rng = SimRandom(seed: 42, stream: UInt64(k), salt: 9)
        let mine = stride(from: k, to: max(config.vehicles, n), by: n).map { i in
            LoadVehicle(index: i, split: rng.chance(config.splitFraction), firstTs: config.firstTsMs, rng: &rng)
        }
        var vehicles = mine
        let topics = TopicTable(vehicleIDs: vehicles.map(\.id))
        let batch = max(1, min(config.batch, 1000))
        let countLimit = config.count.map { ($0 + n - 1 - k) / n } ?? Int.max  // this worker's share
        let rate = config.rate.map { $0 / Double(n) }
        let duration = config.effectiveDuration
        let clock = PacingClock()
        var buf: [UInt8] = []
        buf.reserveCapacity(256 * batch + 2)
        var v = 0
        while result.readings < countLimit {
            if result.messages & 255 == 0 {
                let t = clock.elapsed
                if t >= duration { break }
                if let rate, Double(result.readings) > rate * t {
                    do { try publisher.idle(seconds: min(Double(result.readings) / rate - t, 0.1)) } catch {
                        result.errors.append("\(error)")
                        break
                    }
                    continue
                }
            }
            buf.removeAll(keepingCapacity: true)
            let inThis = min(batch, countLimit - result.readings)
            if inThis > 1 { buf.append(UInt8(ascii: "[")) }
            var channel = Channel.telemetry
            for j in 0..<inThis {
                if j > 0 { buf.append(UInt8(ascii: ",")) }
                // An array holds one channel's backlog, so a split unit repeats its channel.
                let before = vehicles[v].nextChannel
                channel = vehicles[v].appendNext(to: &buf, rng: &rng)
                if j < inThis - 1 && vehicles[v].split { vehicles[v].nextChannel = before }
            }
            if inThis > 1 { buf.append(UInt8(ascii: "]")) }
            do {
                let topic = topics.topic(vehicle: v, channel: channel)
                _ = try withExtendedLifetime(topics) {
                    try buf.withUnsafeBytes { try publisher.publish(topic: topic, payload: $0) }
                }
            } catch {
                result.errors.append("\(error)")
                break
            }
            result.messages += 1
            result.readings += inThis
            result.bytes += buf.count
            v += 1
            if v == vehicles.count { v = 0 }
        }
        publisher.drain(timeout: 30)
        result.acknowledged = publisher.acknowledged
        result.refused = publisher.refusedByBroker
        result.seconds = clock.elapsed
        return result
    }
}
