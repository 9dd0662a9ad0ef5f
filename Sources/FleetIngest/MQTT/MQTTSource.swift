import Atomics
import CMosquitto
import Foundation
import Logging
import Synchronization

/// The broker side: a persistent MQTT v5 session on libmosquitto whose message callback copies
/// every message into the spool before returning (libmosquitto acknowledges QoS 1 around the
/// callback and has no manual-ack API, so the spool is what makes it durable).
public final class MQTTSource: @unchecked Sendable {
    private static let libraryInit: Void = { mosquitto_lib_init() }()

    private let settings: MQTTSettings
    private let spool: Spool
    private let metrics: FleetMetrics
    private let logger: Logger
    private var mosq: OpaquePointer?

    /// True between a granted SUBACK and the next disconnect; read by /readyz.
    public let subscribed = ManagedAtomic<Bool>(false)
    private let stopping = ManagedAtomic<Bool>(false)
    private let inCallback = ManagedAtomic<Bool>(false)
    private let loopStarted = ManagedAtomic<Bool>(false)
    private let connectorDone = DispatchSemaphore(value: 0)
    /// When the broker connection was lost (libmosquitto's thread only), to log the outage.
    private var disconnectedAt: ContinuousClock.Instant?
    /// libmosquitto's own error lines (TLS failures among them), each logged once a minute.
    private let libraryErrors = Mutex(LogThrottle())

    public init(settings: MQTTSettings, spool: Spool, metrics: FleetMetrics, logger: Logger) throws {
        _ = Self.libraryInit
        self.settings = settings
        self.spool = spool
        self.metrics = metrics
        self.logger = logger
        guard let m = mosquitto_new(settings.clientID, false, nil) else {
            throw StartupError("libmosquitto could not create a client (out of memory or an empty --client-id)")
        }
        mosq = m
        mosquitto_user_data_set(m, Unmanaged.passUnretained(self).toOpaque())
        if let problem = settings.configure(m) { throw StartupError(problem) }
        // Nagle's algorithm stays on: all fleetd sends are acknowledgements, and while messages stream in
        // the broker's TCP acks ride on them, so acks coalesce at no wait (at a trickle each goes at once).
        // With TCP_NODELAY every PUBACK was a packet of its own: 37 k against 51 k readings/s on a backlog,
        // 14.7 against 10.0 µs of system CPU per reading (sensors-sim/bench/ingest.sh).
        mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 0)
        mosquitto_int_option(m, MOSQ_OPT_RECEIVE_MAXIMUM, Int32(settings.receiveMaximum))
        mosquitto_reconnect_delay_set(m, 1, 30, true)
        mosquitto_connect_v5_callback_set(m) { _, obj, rc, flags, _ in
            MQTTSource.from(obj).didConnect(rc: rc, sessionPresent: flags & 1 == 1)
        }
        mosquitto_subscribe_v5_callback_set(m) { _, obj, _, count, granted, _ in
            MQTTSource.from(obj).didSubscribe(granted: Array(UnsafeBufferPointer(start: granted, count: Int(count))))
        }
        mosquitto_disconnect_v5_callback_set(m) { _, obj, rc, _ in
            MQTTSource.from(obj).didDisconnect(rc: rc)
        }
        Self.listenToLibraryLog(m, true)
        mosquitto_message_v5_callback_set(m) { _, obj, message, _ in
            guard let message else { return }
            MQTTSource.from(obj).didReceive(message.pointee)
        }
    }

    deinit {
        if let mosq { mosquitto_destroy(mosq) }
    }

    /// libmosquitto formats every line of its log, debug ones included (two per message: the PUBLISH in
    /// and the PUBACK out), into a fresh buffer whenever a log callback is set, whatever the level. Its
    /// errors worth a line (TLS, DNS, refused sockets) come while connecting; once connected, a loss shows
    /// as a disconnect with its reason. So the callback is set only while not connected.
    private static func listenToLibraryLog(_ m: OpaquePointer, _ on: Bool) {
        guard on else { return mosquitto_log_callback_set(m, nil) }
        mosquitto_log_callback_set(m) { _, obj, level, text in
            guard level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING) != 0, let text else { return }
            MQTTSource.from(obj).libraryLogged(String(cString: text))
        }
    }

    private static func from(_ obj: UnsafeMutableRawPointer?) -> MQTTSource {
        Unmanaged<MQTTSource>.fromOpaque(obj!).takeUnretainedValue()
    }

    /// Connects in the background, retrying with back-off until the broker answers; from then on
    /// libmosquitto's own thread keeps the session, reconnecting by itself.
    public func start() {
        let thread = Thread { [self] in
            defer { connectorDone.signal() }
            var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30))
            var failures = 0
            var props: OpaquePointer? = nil
            mosquitto_property_add_int32(&props, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), settings.sessionExpiry)
            defer { mosquitto_property_free_all(&props) }
            while !stopping.load(ordering: .acquiring) {
                let rc = mosquitto_connect_bind_v5(mosq, settings.host, Int32(settings.port), Int32(settings.keepalive), nil, props)
                if rc == MOSQ_ERR_SUCCESS.rawValue {
                    if mosquitto_loop_start(mosq) == MOSQ_ERR_SUCCESS.rawValue { loopStarted.store(true, ordering: .releasing) }
                    return
                }
                failures += 1
                let reason = rc == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(rc))
                let delay = backoff.next()
                if failures == 1 || failures % 10 == 0 {
                    logger.error("MQTT broker unreachable; retrying", metadata: [
                        "broker": "\(settings.host):\(settings.port)", "error": "\(reason)", "attempts": "\(failures)", "next_retry": "\(delay)",
                    ])
                }
                let end = ContinuousClock.now + delay
                while ContinuousClock.now < end && !stopping.load(ordering: .acquiring) { usleep(20_000) }
            }
        }
        thread.name = "fleetd-mqtt-connect"
        thread.start()
    }

    /// Stops intake: disconnects cleanly; the broker keeps queueing for our session while we are away.
    /// A callback blocked on a full spool keeps waiting: the pipeline's drain may make room for it.
    public func stopIntake() {
        stopping.store(true, ordering: .releasing)
        connectorDone.wait()
        connectorDone.signal()
        guard let mosq else { return }
        mosquitto_disconnect_v5(mosq, 0, nil)
    }

    /// After the pipeline stopped. libmosquitto acknowledges a QoS 1 message when its callback
    /// returns, so a callback still waiting for spool space must never return: the process ends
    /// inside it (the spool synced first), unacknowledged, and the broker delivers the message again.
    public func finish() {
        guard let mosq else { return }
        if loopStarted.load(ordering: .acquiring) {
            if inCallback.load(ordering: .acquiring) {
                logger.warning("spool still full at shutdown; exiting without acknowledging the message in hand: the broker delivers it again")
                spool.sync()
                exit(0)
            }
            mosquitto_loop_stop(mosq, false)
        }
        subscribed.store(false, ordering: .releasing)
        metrics.mqttConnected.set(to: 0)
    }

    // MARK: - Callbacks (libmosquitto's thread)

    private func didConnect(rc: Int32, sessionPresent: Bool) {
        guard rc == 0 else {
            logger.error("MQTT broker refused the connection", metadata: ["reason": "\(String(cString: mosquitto_reason_string(rc)))"])
            return
        }
        metrics.mqttReconnects.increment()
        if let mosq { Self.listenToLibraryLog(mosq, false) }
        var metadata: Logger.Metadata = [
            "broker": "\(settings.host):\(settings.port)", "client_id": "\(settings.clientID)", "session_present": "\(sessionPresent)",
        ]
        if let lost = disconnectedAt {
            metadata["outage_seconds"] = "\((.now - lost).secondsText)"
            disconnectedAt = nil
            logger.notice("reconnected to MQTT broker", metadata: metadata)
        } else {
            logger.info("connected to MQTT broker", metadata: metadata)
        }
        let cStrings = settings.topics.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers: [UnsafeMutablePointer<CChar>?] = cStrings
        let rc = mosquitto_subscribe_multiple(mosq, nil, Int32(pointers.count), &pointers, 1, 0, nil)
        if rc != MOSQ_ERR_SUCCESS.rawValue {
            logger.error("MQTT subscribe failed", metadata: ["error": "\(String(cString: mosquitto_strerror(rc)))"])
        }
    }

    private func didSubscribe(granted: [Int32]) {
        let refused = zip(settings.topics, granted).filter { $0.1 > 2 }.map(\.0)
        if refused.isEmpty {
            subscribed.store(true, ordering: .releasing)
            metrics.mqttConnected.set(to: 1)
            logger.info("subscribed", metadata: ["topics": "\(settings.topics.joined(separator: ","))", "qos": "\(granted.map(String.init).joined(separator: ","))"])
        } else {
            logger.error("broker refused subscriptions (check its ACLs)", metadata: ["topics": "\(refused.joined(separator: ","))"])
        }
    }

    private func didDisconnect(rc: Int32) {
        if let mosq { Self.listenToLibraryLog(mosq, true) }
        subscribed.store(false, ordering: .releasing)
        metrics.mqttConnected.set(to: 0)
        if !stopping.load(ordering: .acquiring) {
            if disconnectedAt == nil { disconnectedAt = .now }
            logger.warning("disconnected from MQTT broker; reconnecting", metadata: ["reason": "\(String(cString: mosquitto_reason_string(rc)))"])
        }
    }

    private func libraryLogged(_ text: String) {
        if libraryErrors.withLock({ $0.allows(text) }) { logger.error("libmosquitto: \(text)", metadata: ["broker": "\(settings.host):\(settings.port)"]) }
    }

    private func didReceive(_ message: mosquitto_message) {
        inCallback.store(true, ordering: .releasing)
        defer { inCallback.store(false, ordering: .releasing) }
        let now = WallClock.nowNanos()
        let topicLength = message.topic.map { strlen($0) } ?? 0
        let topic = UnsafeRawBufferPointer(start: message.topic, count: topicLength)
        let payload = UnsafeRawBufferPointer(start: message.payload, count: Int(message.payloadlen))
        spool.append(topic: topic, payload: payload, receivedAtNanos: now)
        metrics.mqttMessagesReceived.increment()
    }
}
