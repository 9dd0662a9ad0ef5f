import CMosquitto
import Dispatch
import Synchronization

public struct MQTTError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A thin libmosquitto publisher that keeps up to `maxInflight` messages in flight.
///
/// Why a window: QoS 1 throughput is bound by round trips unless many PUBLISHes are outstanding;
/// the same window also bounds libmosquitto's queue at QoS 0. C pointers stay inside this type.
///
/// Why no libmosquitto thread: with `mosquitto_loop_start` every publish wakes the loop thread
/// through a socket pair; driving the network from the publishing thread writes each PUBLISH
/// straight to the socket and reads PUBACKs in batches, about twice the rate per core.
/// One thread uses a publisher at a time.
public final class MQTTPublisher: @unchecked Sendable {
    // @unchecked: libmosquitto runs callbacks on the thread that calls publish/drain (no loop
    // thread); counters are atomic anyway so they can be read for progress from elsewhere.
    private let mosq: OpaquePointer
    public let maxInflight: Int
    public let qos: Int32
    private let connectRC = Atomic<Int>(-1)
    private let lost = Atomic<Bool>(false)
    private let acked = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let inflight = Atomic<Int>(0)
    private var sincePump = 0

    private static let libInit: Int32 = mosquitto_lib_init()

    public init(url: MQTTURL, clientID: String, qos: Int, maxInflight: Int = 1000, connectTimeout: Double = 5) throws(MQTTError) {
        _ = Self.libInit
        guard (0...1).contains(qos) else { throw MQTTError(description: "qos must be 0 or 1") }
        self.qos = Int32(qos)
        self.maxInflight = max(1, maxInflight)
        guard let m = mosquitto_new(clientID, true, nil) else { throw MQTTError(description: "mosquitto_new failed") }
        mosq = m
        mosquitto_user_data_set(m, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5)
        mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, Int32(self.maxInflight))
        mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1)
        mosquitto_max_inflight_messages_set(m, UInt32(self.maxInflight))
        mosquitto_connect_v5_callback_set(m) { _, obj, rc, _, _ in
            MQTTPublisher.from(obj).connectRC.store(Int(rc), ordering: .releasing)
        }
        mosquitto_disconnect_v5_callback_set(m) { _, obj, _, _ in
            MQTTPublisher.from(obj).lost.store(true, ordering: .releasing)
        }
        mosquitto_publish_v5_callback_set(m) { _, obj, _, reason, _ in
            let me = MQTTPublisher.from(obj)
            if reason >= 0x80 { me.refused.add(1, ordering: .relaxed) } else { me.acked.add(1, ordering: .relaxed) }
            me.inflight.subtract(1, ordering: .relaxed)
        }
        let rc = mosquitto_connect(m, url.host, url.port, 30)
        // On failure below, deinit (which runs: every property is set) destroys the handle.
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(description: "cannot connect to mqtt://\(url.host):\(url.port): \(String(cString: mosquitto_strerror(rc)))")
        }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(connectTimeout * 1e9)
        while connectRC.load(ordering: .acquiring) < 0 && DispatchTime.now().uptimeNanoseconds < deadline {
            guard mosquitto_loop(m, 50, 1) == MOSQ_ERR_SUCCESS.rawValue else { break }
        }
        let crc = connectRC.load(ordering: .acquiring)
        guard crc == 0 else {
            throw MQTTError(description: crc < 0 ? "no CONNACK within \(connectTimeout) s" : "broker refused the connection (reason \(crc))")
        }
    }

    deinit {
        mosquitto_disconnect(mosq)
        mosquitto_destroy(mosq)
    }

    /// Runs the network once: sends what is queued, reads acknowledgements, keeps the connection alive.
    private func pump(timeoutMs: Int32) throws(MQTTError) {
        let rc = mosquitto_loop(mosq, timeoutMs, 1000)
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            lost.store(true, ordering: .releasing)
            throw MQTTError(description: "connection to the broker lost: \(String(cString: mosquitto_strerror(rc)))")
        }
    }

    private static func from(_ obj: UnsafeMutableRawPointer?) -> MQTTPublisher {
        Unmanaged<MQTTPublisher>.fromOpaque(obj!).takeUnretainedValue()
    }

    /// Publishes one message, waiting while the window is full.
    public func publish(topic: UnsafePointer<CChar>, payload: UnsafeRawBufferPointer) throws(MQTTError) {
        sincePump += 1
        if sincePump >= 64 {
            // Read acknowledgements that have arrived, without waiting.
            sincePump = 0
            try pump(timeoutMs: 0)
        }
        if inflight.load(ordering: .relaxed) >= maxInflight {
            // Bounded: a broker that stops acknowledging is an error, not a hang.
            let deadline = DispatchTime.now().uptimeNanoseconds + 30_000_000_000
            while inflight.load(ordering: .relaxed) >= maxInflight {
                try pump(timeoutMs: 100)
                if DispatchTime.now().uptimeNanoseconds > deadline {
                    throw MQTTError(description: "the broker acknowledged nothing for 30 s with \(maxInflight) messages in flight")
                }
            }
        }
        inflight.add(1, ordering: .relaxed)
        let rc = mosquitto_publish(mosq, nil, topic, Int32(payload.count), payload.baseAddress, qos, false)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            inflight.subtract(1, ordering: .relaxed)
            throw MQTTError(description: "publish failed: \(String(cString: mosquitto_strerror(rc)))")
        }
    }

    /// Keeps the connection serviced while the caller has nothing to send (pacing sleeps).
    public func idle(seconds: Double) throws(MQTTError) {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, seconds) * 1e9)
        repeat {
            let left = Int64(deadline) - Int64(DispatchTime.now().uptimeNanoseconds)
            try pump(timeoutMs: Int32(max(0, min(left / 1_000_000, 100))))
        } while DispatchTime.now().uptimeNanoseconds < deadline
    }

    public func publish(topic: String, payload: [UInt8]) throws(MQTTError) {
        var failure: MQTTError?
        topic.withCString { tp in
            payload.withUnsafeBytes { p in
                do throws(MQTTError) { try publish(topic: tp, payload: p) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    /// Waits until every message is acknowledged (QoS 1) or written (QoS 0), or the timeout passes.
    /// Returns true when the window drained.
    @discardableResult
    public func drain(timeout: Double) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        while inflight.load(ordering: .acquiring) > 0 {
            if DispatchTime.now().uptimeNanoseconds > deadline || lost.load(ordering: .acquiring) { return false }
            do { try pump(timeoutMs: 20) } catch { return false }
        }
        return true
    }

    public var acknowledged: Int { acked.load(ordering: .relaxed) }
    public var refusedByBroker: Int { refused.load(ordering: .relaxed) }
    public var inFlight: Int { inflight.load(ordering: .relaxed) }
}
