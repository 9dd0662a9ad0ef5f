import CMosquitto
import Foundation

/// The one owner of a libmosquitto client handle: creates it as `MQTTSettings` say (MQTT v5,
/// credentials, TLS), routes libmosquitto's callbacks to Swift closures and destroys it. fleetd's
/// subscriber and every publisher (fleetd's event feed, fleet-sim) sit on this type; no handle and no
/// pointer handed to a callback leaves it: a message's topic and payload are lent to `onMessage` for
/// the duration of the call.
///
/// Set the handlers before connecting: libmosquitto calls them on its loop thread (`startLoop`) or
/// on the thread that runs `loop`, and reads them without a lock.
public final class MosquittoClient: @unchecked Sendable {
    private static let libraryInit: Int32 = mosquitto_lib_init()

    private let handle: OpaquePointer

    /// CONNACK: libmosquitto's result code (0 is accepted) and whether the broker kept our session.
    public var onConnect: ((_ code: Int32, _ sessionPresent: Bool) -> Void)?
    /// The connection ended; `reason` is an MQTT v5 reason code (0 for a disconnect we asked for).
    public var onDisconnect: ((_ reason: Int32) -> Void)?
    /// SUBACK: the granted QoS per topic, in request order (128 and up is a refusal).
    public var onSubscribe: ((_ granted: [Int32]) -> Void)?
    /// PUBACK (QoS 1) or the write of a QoS 0 message: its message id and reason code (0x80 and up is
    /// a refusal).
    public var onPublish: ((_ message: Int32, _ reason: Int32) -> Void)?
    /// A message: topic and payload bytes, valid only during the call.
    public var onMessage: ((_ topic: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) -> Void)?
    /// libmosquitto's error and warning lines, while `listenToLog(true)`.
    public var onLogLine: ((String) -> Void)?

    /// A client named `settings.clientID`; `cleanSession` false keeps the broker's session (and its
    /// queued QoS 1 messages) across reconnects.
    public init(settings: MQTTSettings, cleanSession: Bool) throws(MQTTError) {
        _ = Self.libraryInit
        guard let m = mosquitto_new(settings.clientID, cleanSession, nil) else {
            throw MQTTError(description: "libmosquitto could not create a client (out of memory or an empty client id)")
        }
        handle = m
        mosquitto_user_data_set(m, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5)
        if let user = settings.username { mosquitto_username_pw_set(m, user, settings.password) }
        if settings.tls {
            let rc: Int32
            if settings.caFile == nil {
                mosquitto_int_option(m, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
                rc = settings.certFile == nil ? MOSQ_ERR_SUCCESS.rawValue : mosquitto_tls_set(m, nil, nil, settings.certFile, settings.keyFile, nil)
            } else {
                rc = mosquitto_tls_set(m, settings.caFile, nil, settings.certFile, settings.keyFile, nil)
            }
            guard rc == MOSQ_ERR_SUCCESS.rawValue else {
                // deinit runs (every stored property is set) and destroys the handle.
                throw MQTTError(description: "MQTT TLS setup failed: \(Self.errorText(rc)); check the CA, certificate and key files")
            }
        }
        mosquitto_connect_v5_callback_set(m) { _, obj, rc, flags, _ in
            MosquittoClient.from(obj)?.onConnect?(rc, flags & 1 == 1)
        }
        mosquitto_disconnect_v5_callback_set(m) { _, obj, rc, _ in
            MosquittoClient.from(obj)?.onDisconnect?(rc)
        }
        mosquitto_subscribe_v5_callback_set(m) { _, obj, _, count, granted, _ in
            MosquittoClient.from(obj)?.onSubscribe?(Array(UnsafeBufferPointer(start: granted, count: Int(count))))
        }
        mosquitto_publish_v5_callback_set(m) { _, obj, mid, reason, _ in
            MosquittoClient.from(obj)?.onPublish?(mid, reason)
        }
        mosquitto_message_v5_callback_set(m) { _, obj, message, _ in
            guard let message, let handler = MosquittoClient.from(obj)?.onMessage else { return }
            let m = message.pointee
            handler(UnsafeRawBufferPointer(start: m.topic, count: m.topic.map { strlen($0) } ?? 0),
                    UnsafeRawBufferPointer(start: m.payload, count: Int(m.payloadlen)))
        }
    }

    deinit {
        mosquitto_user_data_set(handle, nil)
        mosquitto_destroy(handle)
    }

    /// The client a callback is for; nil once it is closing (libmosquitto calls back from within
    /// `mosquitto_disconnect`, and the owner whose handlers would run may be going away).
    private static func from(_ obj: UnsafeMutableRawPointer?) -> MosquittoClient? {
        obj.map { Unmanaged<MosquittoClient>.fromOpaque($0).takeUnretainedValue() }
    }

    // MARK: - Options (before connecting)

    /// Nagle's algorithm off (`true`) or on.
    public func setNoDelay(_ on: Bool) { mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, on ? 1 : 0) }

    /// How many unacknowledged QoS 1 messages the broker may have in flight to us.
    public func setReceiveMaximum(_ n: Int) { mosquitto_int_option(handle, MOSQ_OPT_RECEIVE_MAXIMUM, Int32(n)) }

    /// How many of our QoS 1 messages may be in flight to the broker.
    public func setSendMaximum(_ n: Int) {
        mosquitto_int_option(handle, MOSQ_OPT_SEND_MAXIMUM, Int32(n))
        mosquitto_max_inflight_messages_set(handle, UInt32(n))
    }

    /// The loop thread's reconnect delay: from `min` seconds doubling up to `max`.
    public func setReconnectDelay(min: Int, max: Int) { mosquitto_reconnect_delay_set(handle, UInt32(min), UInt32(max), true) }

    /// libmosquitto formats every line of its log, debug ones included, into a fresh buffer whenever a
    /// log callback is set, whatever the level: callers listen only while the lines are worth it.
    public func listenToLog(_ on: Bool) {
        guard on else { return mosquitto_log_callback_set(handle, nil) }
        mosquitto_log_callback_set(handle) { _, obj, level, text in
            guard level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING) != 0, let text else { return }
            MosquittoClient.from(obj)?.onLogLine?(String(cString: text))
        }
    }

    // MARK: - Connection

    /// Opens the connection (CONNACK arrives through `onConnect`); `sessionExpiry` asks the broker to
    /// keep the session that many seconds after a disconnect.
    public func connect(host: String, port: Int, keepalive: Int, sessionExpiry: UInt32? = nil) throws(MQTTError) {
        var props: OpaquePointer? = nil
        if let sessionExpiry {
            mosquitto_property_add_int32(&props, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), sessionExpiry)
        }
        defer { mosquitto_property_free_all(&props) }
        let rc = mosquitto_connect_bind_v5(handle, host, Int32(port), Int32(keepalive), nil, props)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(description: "cannot connect to \(host):\(port): \(Self.errorText(rc))")
        }
    }

    /// Hands the connection to libmosquitto's own thread, which also reconnects by itself.
    public func startLoop() -> Bool { mosquitto_loop_start(handle) == MOSQ_ERR_SUCCESS.rawValue }

    /// Ends the loop thread (after `disconnect`, it ends by itself; `force` does not wait for that).
    public func stopLoop(force: Bool = false) { mosquitto_loop_stop(handle, force) }

    /// Runs the network once on the calling thread (no loop thread): sends what is queued, reads
    /// what arrived, keeps the connection alive.
    public func loop(timeoutMs: Int32) throws(MQTTError) {
        let rc = mosquitto_loop(handle, timeoutMs, 1000)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(description: "connection to the broker lost: \(Self.errorText(rc))")
        }
    }

    public func disconnect() { mosquitto_disconnect_v5(handle, 0, nil) }

    /// Disconnects without calling any handler back: for an owner that is going away.
    public func close() {
        mosquitto_user_data_set(handle, nil)
        mosquitto_disconnect_v5(handle, 0, nil)
    }

    /// The connection's socket, for poll() (-1 when not connected).
    public var socket: Int32 { mosquitto_socket(handle) }

    /// Whether libmosquitto has bytes queued to write.
    public var wantsToWrite: Bool { mosquitto_want_write(handle) }

    // MARK: - Messages

    public func subscribe(_ topics: [String], qos: Int32) throws(MQTTError) {
        let cStrings = topics.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers: [UnsafeMutablePointer<CChar>?] = cStrings
        let rc = mosquitto_subscribe_multiple(handle, nil, Int32(pointers.count), &pointers, qos, 0, nil)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError(description: "MQTT subscribe failed: \(Self.errorText(rc))") }
    }

    /// Queues one message; returns its message id. A message no retry can send (too large for the
    /// broker, a topic it cannot take) throws a permanent error.
    public func publish(topic: UnsafePointer<CChar>, payload: UnsafeRawBufferPointer, qos: Int32) throws(MQTTError) -> Int32 {
        var mid: Int32 = 0
        let rc = mosquitto_publish(handle, &mid, topic, Int32(payload.count), payload.baseAddress, qos, false)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            let permanent = [MOSQ_ERR_PAYLOAD_SIZE, MOSQ_ERR_OVERSIZE_PACKET, MOSQ_ERR_INVAL, MOSQ_ERR_MALFORMED_UTF8].contains { $0.rawValue == rc }
            throw MQTTError(description: "publish failed: \(Self.errorText(rc))", permanent: permanent)
        }
        return mid
    }

    // MARK: - Text

    /// An MQTT v5 reason code as text ("Not authorized").
    public static func reasonText(_ code: Int32) -> String { String(cString: mosquitto_reason_string(code)) }

    /// A libmosquitto result code as text; for a system error, the system's.
    private static func errorText(_ rc: Int32) -> String {
        rc == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(rc))
    }
}
