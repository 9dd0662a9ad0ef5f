import Atomics
import Foundation
import Logging
import Mosquitto
import Synchronization

/// The broker side: a persistent MQTT v5 session on libmosquitto whose message callback copies
/// every message into the spool before returning (libmosquitto acknowledges QoS 1 around the
/// callback and has no manual-ack API, so the spool is what makes it durable).
public final class MQTTSource: @unchecked Sendable {
    private let settings: MQTTSettings
    private let spool: Spool
    private let metrics: FleetMetrics
    private let logger: Logger
    private let client: MosquittoClient

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
        self.settings = settings
        self.spool = spool
        self.metrics = metrics
        self.logger = logger
        do { client = try MosquittoClient(settings: settings, cleanSession: false) } catch {
            throw StartupError("\(error) (flags: --client-id, --mqtt-ca-file, --mqtt-cert-file, --mqtt-key-file)")
        }
        // Nagle's algorithm stays on: all fleetd sends are acknowledgements, and while messages stream in
        // the broker's TCP acks ride on them, so acks coalesce at no wait (at a trickle each goes at once).
        // With TCP_NODELAY every PUBACK was a packet of its own: 37 k against 51 k readings/s on a backlog,
        // 14.7 against 10.0 µs of system CPU per reading (sensors-sim/bench/ingest.sh).
        client.setNoDelay(false)
        client.setReceiveMaximum(settings.receiveMaximum)
        client.setReconnectDelay(min: 1, max: 30)
        client.onConnect = { [unowned self] rc, sessionPresent in didConnect(rc: rc, sessionPresent: sessionPresent) }
        client.onSubscribe = { [unowned self] granted in didSubscribe(granted: granted) }
        client.onDisconnect = { [unowned self] rc in didDisconnect(rc: rc) }
        client.onMessage = { [unowned self] topic, payload in didReceive(topic: topic, payload: payload) }
        // libmosquitto's errors worth a line (TLS, DNS, refused sockets) come while connecting; once
        // connected, a loss shows as a disconnect with its reason: its log is listened to only meanwhile.
        client.onLogLine = { [unowned self] text in libraryLogged(text) }
        client.listenToLog(true)
    }

    /// Connects in the background, retrying with back-off until the broker answers; from then on
    /// libmosquitto's own thread keeps the session, reconnecting by itself.
    public func start() {
        let thread = Thread { [self] in
            defer { connectorDone.signal() }
            var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30))
            var failures = 0
            while !stopping.load(ordering: .acquiring) {
                let failure: MQTTError
                do throws(MQTTError) {
                    try client.connect(host: settings.host, port: settings.port, keepalive: settings.keepalive, sessionExpiry: settings.sessionExpiry)
                    if client.startLoop() { loopStarted.store(true, ordering: .releasing) }
                    return
                } catch { failure = error }
                failures += 1
                let delay = backoff.next()
                if failures == 1 || failures % 10 == 0 {
                    logger.error("MQTT broker unreachable; retrying", metadata: [
                        "broker": "\(settings.host):\(settings.port)", "error": "\(failure)", "attempts": "\(failures)", "next_retry": "\(delay)",
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
        client.disconnect()
    }

    /// After the pipeline stopped. libmosquitto acknowledges a QoS 1 message when its callback
    /// returns, so a callback still waiting for spool space must never return: the process ends
    /// inside it (the spool synced first), unacknowledged, and the broker delivers the message again.
    public func finish() {
        if loopStarted.load(ordering: .acquiring) {
            if inCallback.load(ordering: .acquiring) {
                logger.warning("spool still full at shutdown; exiting without acknowledging the message in hand: the broker delivers it again")
                spool.sync()
                exit(0)
            }
            client.stopLoop()
        }
        subscribed.store(false, ordering: .releasing)
        metrics.mqttConnected.set(to: 0)
    }

    // MARK: - Callbacks (libmosquitto's thread)

    private func didConnect(rc: Int32, sessionPresent: Bool) {
        guard rc == 0 else {
            logger.error("MQTT broker refused the connection", metadata: ["reason": "\(MosquittoClient.reasonText(rc))"])
            return
        }
        metrics.mqttReconnects.increment()
        client.listenToLog(false)
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
        do { try client.subscribe(settings.topics, qos: 1) } catch {
            logger.error("MQTT subscribe failed", metadata: ["error": "\(error)"])
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
        client.listenToLog(true)
        subscribed.store(false, ordering: .releasing)
        metrics.mqttConnected.set(to: 0)
        if !stopping.load(ordering: .acquiring) {
            if disconnectedAt == nil { disconnectedAt = .now }
            logger.warning("disconnected from MQTT broker; reconnecting", metadata: ["reason": "\(MosquittoClient.reasonText(rc))"])
        }
    }

    private func libraryLogged(_ text: String) {
        if libraryErrors.withLock({ $0.allows(text) }) { logger.error("libmosquitto: \(text)", metadata: ["broker": "\(settings.host):\(settings.port)"]) }
    }

    private func didReceive(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) {
        inCallback.store(true, ordering: .releasing)
        defer { inCallback.store(false, ordering: .releasing) }
        let now = WallClock.nowNanos()
        spool.append(topic: topic, payload: payload, receivedAtNanos: now)
        metrics.mqttMessagesReceived.increment()
    }
}
