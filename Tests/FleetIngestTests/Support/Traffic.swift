import FleetIngest
import FleetSim
import Foundation
import Mosquitto

/// Test traffic: units' payloads (README, Reference) for a few vehicles, published at QoS 1 with many in flight.
struct Traffic {
    struct Message {
        var topic: String
        var payload: [UInt8]
    }

    /// `count` single-reading messages spread over `vehicles`, with distinct device times.
    static func readings(count: Int, vehicles: Int, prefix: String = "veh") -> [Message] {
        (0..<count).map { i in
            let v = i % vehicles
            let channel = ["telemetry", "fuel", "odometer", "gps"][v % 4]
            let ts = 1_700_000_000_000 + Int64(i / vehicles) * 1000
            let body = #"{"ts":\#(ts),"seq":\#(i / vehicles),"fuel_l":\#(Double(400 - i % 300) / 2),"odometer_km":\#(1000 + i),"lat":52.1,"lon":4.3,"speed_kmh":50,"ignition":true}"#
            return Message(topic: "fleet/\(prefix)\(v)/\(channel)", payload: Array(body.utf8))
        }
    }

    static func publish(_ messages: some Sequence<Message>, qos: Int = 1) throws {
        let publisher = try MQTTPublisher(settings: MQTTSettings(port: TestStack.mqttPort!, clientID: "test-pub-\(UUID().uuidString.prefix(6))"),
                                          qos: qos, maxInflight: 500, connectTimeout: 15)
        for m in messages { try publisher.publish(topic: m.topic, payload: m.payload) }
        guard publisher.drain(timeout: 60) else { throw TestFailure("publisher did not drain") }
    }

    /// Publishes like a unit with store-and-forward: when the broker goes away it reconnects and
    /// sends again everything not certainly acknowledged (at least once, never fewer), until all are
    /// acknowledged or `seconds` pass. Returns how many connections it took.
    static func publishThroughOutages(_ messages: [Message], seconds: Double = 120) throws -> Int {
        let inflight = 500
        let end = ContinuousClock.now + .seconds(seconds)
        var next = 0, connections = 0
        while ContinuousClock.now < end {
            guard let publisher = try? MQTTPublisher(settings: MQTTSettings(port: TestStack.mqttPort!, clientID: "test-unit-\(UUID().uuidString.prefix(6))"),
                                                     qos: 1, maxInflight: inflight) else {
                usleep(200_000)
                continue
            }
            connections += 1
            var sent = 0
            do {
                for m in messages[next...] {
                    try publisher.publish(topic: m.topic, payload: m.payload)
                    sent += 1
                }
                if publisher.drain(timeout: 30) { return connections }
            } catch {}
            // Sending blocks while `inflight` messages await their acknowledgement, so all but the
            // last `inflight` sent are acknowledged; those are sent again.
            next += max(0, sent - inflight)
        }
        throw TestFailure("publishing through outages did not finish in \(seconds) s (at message \(next) of \(messages.count))")
    }

    /// Publishes on a thread of its own; `wait` returns the publisher's error, or a timeout.
    static func publishInBackground(_ messages: [Message], throughOutages: Bool = false) -> BackgroundPublish {
        let publish = BackgroundPublish()
        Thread {
            do {
                if throughOutages { _ = try Traffic.publishThroughOutages(messages) } else { try Traffic.publish(messages) }
            } catch { publish.error.error = error }
            publish.done.signal()
        }.start()
        return publish
    }
}

final class BackgroundPublish: Sendable {
    let done = DispatchSemaphore(value: 0)
    let error = ErrorBox()

    /// Whether publishing ended in time and without an error.
    func finished(within seconds: Double) -> Bool {
        done.wait(timeout: .now() + seconds) == .success && error.error == nil
    }
}
