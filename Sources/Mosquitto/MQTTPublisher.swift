import Dispatch
import Foundation
import Synchronization

/// A thin libmosquitto publisher that keeps up to `maxInflight` messages in flight.
///
/// Why a window: QoS 1 throughput is bound by round trips unless many PUBLISHes are outstanding;
/// the same window also bounds libmosquitto's queue at QoS 0.
///
/// Why no libmosquitto thread: with `mosquitto_loop_start` every publish wakes the loop thread
/// through a socket pair; driving the network from the publishing thread writes each PUBLISH
/// straight to the socket and reads PUBACKs in batches, about twice the rate per core.
/// One thread uses a publisher at a time: fleet-sim's load threads, fleetd's event publisher.
public final class MQTTPublisher: @unchecked Sendable {
    // @unchecked: libmosquitto runs callbacks on the thread that calls publish/drain (no loop
    // thread); counters are atomic anyway so they can be read for progress from elsewhere.
    private let client: MosquittoClient
    public let maxInflight: Int
    public let qos: Int32
    private let connectRC = Atomic<Int>(-1)
    private let lost = Atomic<Bool>(false)
    private let acked = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let inflight = Atomic<Int>(0)
    private var sincePump = 0
    /// Each acknowledgement's message id and reason code, kept only when asked for (`takeAcks`).
    private let recordsAcks: Bool
    private var acks: [(message: Int32, reason: Int32)] = []

    /// Connects with a clean session (`settings`: broker, client id, credentials, TLS) and waits for
    /// the broker's CONNACK. `recordingAcks`: keep each acknowledgement for `takeAcks`.
    public init(settings: MQTTSettings, qos: Int, maxInflight: Int = 1000, connectTimeout: Double = 5,
                recordingAcks: Bool = false) throws(MQTTError) {
        guard (0...1).contains(qos) else { throw MQTTError(description: "qos must be 0 or 1") }
        self.qos = Int32(qos)
        self.maxInflight = max(1, maxInflight)
        recordsAcks = recordingAcks
        client = try MosquittoClient(settings: settings, cleanSession: true)
        client.setSendMaximum(self.maxInflight)
        client.setNoDelay(true)
        client.onConnect = { [unowned self] rc, _ in connectRC.store(Int(rc), ordering: .releasing) }
        client.onDisconnect = { [unowned self] _ in lost.store(true, ordering: .releasing) }
        client.onPublish = { [unowned self] mid, reason in
            if reason >= 0x80 { refused.add(1, ordering: .relaxed) } else { acked.add(1, ordering: .relaxed) }
            inflight.subtract(1, ordering: .relaxed)
            if recordsAcks { acks.append((mid, reason)) }
        }
        try client.connect(host: settings.host, port: settings.port, keepalive: settings.keepalive)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(connectTimeout * 1e9)
        // A connection the broker drops before its CONNACK (busy, restarting) is opened again until the
        // deadline, not given up on at once under the name of a timeout.
        var lastError: MQTTError?
        while connectRC.load(ordering: .acquiring) < 0 && DispatchTime.now().uptimeNanoseconds < deadline {
            do { try client.loop(timeoutMs: 50) } catch {
                lastError = error
                usleep(100_000)
                do { try client.connect(host: settings.host, port: settings.port, keepalive: settings.keepalive) } catch { lastError = error }
            }
        }
        let crc = connectRC.load(ordering: .acquiring)
        guard crc == 0 else {
            throw MQTTError(description: crc < 0 ? "no CONNACK within \(connectTimeout) s" + (lastError.map { " (last: \($0.description))" } ?? "")
                            : "broker refused the connection: \(MosquittoClient.reasonText(Int32(crc)))")
        }
    }

    deinit { client.close() }

    /// Runs the network once: sends what is queued, reads acknowledgements, keeps the connection alive.
    private func pump(timeoutMs: Int32) throws(MQTTError) {
        do { try client.loop(timeoutMs: timeoutMs) } catch {
            lost.store(true, ordering: .releasing)
            throw error
        }
    }

    /// Publishes one message, waiting while the window is full; returns its message id.
    @discardableResult
    public func publish(topic: UnsafePointer<CChar>, payload: UnsafeRawBufferPointer) throws(MQTTError) -> Int32 {
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
        do { return try client.publish(topic: topic, payload: payload, qos: qos) } catch {
            inflight.subtract(1, ordering: .relaxed)
            throw error
        }
    }

    /// Waits up to `timeoutMs` for traffic from the broker or for `descriptor` to turn readable, then
    /// services the connection (sends, reads acknowledgements, keeps it alive); true when `descriptor`
    /// is readable. Lets one thread serve the broker and another socket (PostgreSQL's) without a loop
    /// thread.
    public func wait(alsoOn descriptor: Int32, timeoutMs: Int32) throws(MQTTError) -> Bool {
        let socket = client.socket
        guard socket >= 0 else {
            lost.store(true, ordering: .releasing)
            throw MQTTError(description: "connection to the broker lost")
        }
        let out: Int16 = client.wantsToWrite ? Int16(POLLOUT) : 0
        var fds = [pollfd(fd: socket, events: Int16(POLLIN) | out, revents: 0), pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 2, timeoutMs)
        try pump(timeoutMs: 0)
        return fds[1].revents != 0
    }

    /// The acknowledgements received since the last call (message id, MQTT reason code: 0x80 and up
    /// is a refusal), when recording.
    public func takeAcks() -> [(message: Int32, reason: Int32)] {
        defer { acks.removeAll(keepingCapacity: true) }
        return acks
    }

    /// Keeps the connection serviced while the caller has nothing to send (pacing sleeps).
    public func idle(seconds: Double) throws(MQTTError) {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, seconds) * 1e9)
        repeat {
            let left = Int64(deadline) - Int64(DispatchTime.now().uptimeNanoseconds)
            try pump(timeoutMs: Int32(max(0, min(left / 1_000_000, 100))))
        } while DispatchTime.now().uptimeNanoseconds < deadline
    }

    @discardableResult
    public func publish(topic: String, payload: [UInt8]) throws(MQTTError) -> Int32 {
        var failure: MQTTError?
        var message: Int32 = 0
        topic.withCString { tp in
            payload.withUnsafeBytes { p in
                do throws(MQTTError) { message = try publish(topic: tp, payload: p) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return message
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
