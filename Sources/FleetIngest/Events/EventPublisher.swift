import FleetCore
import Foundation
import LibPQ
import Logging
import Mosquitto

/// Publishes every committed event to MQTT at QoS 1 on `{prefix}/{kind}/{vehicle_id}`, the payload
/// the `events` view's JSON. Events are read from the tables (so none goes out before it committed,
/// or from a batch that rolled back), in seq order, woken by `NOTIFY fleetd_events`. The seq up to
/// which the broker acknowledged is kept in `event_publish_cursors`; after a lost connection, a
/// refusal or a crash, publishing starts again from there: at least once, repeats carry the same seq.
/// One fleetd publishes at a time (a session advisory lock); another takes over when its connection
/// ends. Runs on its own thread: libpq and the broker's socket block.
public final class EventPublisher: @unchecked Sendable {
    public struct Settings: Sendable {
        /// The broker, credentials and TLS of fleetd's subscriber; its own client id.
        public var mqtt: MQTTSettings
        public var postgresURL: String
        public var schema: String
        public var statementTimeout: Duration
        public var prefix: String
        /// Events in flight at once.
        public var window = 1000
        /// A larger payload is passed over, counted: brokers cap packets (deploy/mosquitto: 1 MiB).
        public var maxPayloadBytes = 256 * 1024
        /// How long a stop waits for the last committed events to be acknowledged.
        public var shutdownTimeout: Duration = .seconds(5)

        public init(mqtt: MQTTSettings, postgresURL: String, schema: String, statementTimeout: Duration, prefix: String) {
            self.mqtt = mqtt
            self.postgresURL = postgresURL
            self.schema = schema
            self.statementTimeout = statementTimeout
            self.prefix = prefix
        }
    }

    static let sink = "mqtt"

    private let settings: Settings
    private let metrics: FleetMetrics
    private let logger: Logger
    /// True once PostgreSQL holds fleetd's tables (the pipeline migrated them).
    private let ready: @Sendable () -> Bool
    private let worker = WorkerThread()

    public init(settings: Settings, metrics: FleetMetrics, logger: Logger, ready: @escaping @Sendable () -> Bool) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.ready = ready
    }

    public func start() { worker.start("fleetd-events") { [self] in run() } }

    /// Publishes what has committed (up to the shutdown timeout), stores the cursor, and returns.
    public func stop() { worker.stop() }

    private var stopping: Bool { worker.stopping }

    /// One connection to each side and what is in flight between them.
    private struct Session {
        var feed: EventFeed
        var window: PublishWindow
        var stored: Int64
        var broker: MQTTPublisher?
        /// More may wait in the feed than was read.
        var unread = true
    }

    /// Why publishing paused: a broker that refuses is waited on longer than one that is gone.
    private struct Refused: Error { var reason: Int32 }

    // The publisher thread's own.
    private var backoff = Backoff(initial: .seconds(1), maximum: .seconds(30))
    private var retryAt = ContinuousClock.now
    private var troubleLog = LogThrottle()

    /// Waits before the next try and says why, the same trouble once a minute rather than once a retry.
    private func trouble(_ text: String, _ metadata: Logger.Metadata = [:], atLeast minimum: Duration = .zero) {
        let now = ContinuousClock.now
        let delay = max(backoff.next(), minimum)
        retryAt = now + delay
        if troubleLog.allows(text, now: now) {
            logger.error("\(text)", metadata: metadata.merging(["retry_in": "\(delay)"]) { a, _ in a })
        }
    }

    private func run() {
        while !ready() && !worker.pause(.milliseconds(100)) {}
        var session: Session?
        var standbyLogged = false
        var stopBy: ContinuousClock.Instant?
        while true {
            let now = ContinuousClock.now
            if stopping && stopBy == nil {
                // Without both connections there is nothing to finish: the next start publishes from the cursor.
                guard session?.broker != nil else { break }
                stopBy = now + settings.shutdownTimeout
            }
            if let stopBy, now >= stopBy { break }
            guard now >= retryAt else {
                // Stopping while in trouble: the next start publishes from the cursor.
                if stopping { break }
                worker.pause(retryAt - now)
                continue
            }
            do {
                if session == nil {
                    let feed = try EventFeed(conninfo: settings.postgresURL, schema: settings.schema, statementTimeout: settings.statementTimeout)
                    guard try feed.tryLockPublishing() else {
                        // Another fleetd publishes; this one stands by, ready to take over.
                        if !standbyLogged { logger.notice("another fleetd publishes the events; standing by") }
                        standbyLogged = true
                        retryAt = now + .seconds(10)
                        continue
                    }
                    let cursor = try feed.publishCursor(sink: Self.sink)
                    if cursor.madeAgain {
                        logger.warning("event_publish_cursors had no mqtt row; publishing starts at the feed's end", metadata: ["seq": "\(cursor.seq)"])
                    }
                    // Listening before the first read: a commit after it is heard of.
                    _ = try feed.heardOfCommit()
                    session = Session(feed: feed, window: PublishWindow(cursor: cursor.seq, capacity: settings.window), stored: cursor.seq)
                }
                if session!.broker == nil {
                    session!.broker = try MQTTPublisher(settings: settings.mqtt, qos: 1, maxInflight: settings.window, recordingAcks: true)
                    session!.window.rewind()
                    session!.unread = true
                    logger.info("publishing events", metadata: [
                        "topics": "\(settings.prefix)/{kind}/{vehicle_id}", "after_seq": "\(session!.window.cursor)",
                    ])
                }
                let before = session!.window.cursor
                if try round(&session!, stopping: stopBy != nil) { break }
                // Trouble is over once events go through again (or none wait): not merely on reconnecting.
                if session!.window.cursor > before || (!session!.unread && session!.window.inFlight == 0) {
                    backoff.reset()
                    troubleLog.reset()
                }
            } catch let error as PGError {
                if let s = session { finish(s, storing: false) }
                session = nil
                trouble("event publishing cannot read PostgreSQL; retrying", ["error": "\(error)"])
            } catch let error as MQTTError {
                session?.broker = nil
                session?.window.rewind()
                trouble("event publishing cannot reach the MQTT broker; retrying", [
                    "broker": "\(settings.mqtt.host):\(settings.mqtt.port)", "error": "\(error)",
                ])
            } catch let refused as Refused {
                session?.broker = nil
                session?.window.rewind()
                metrics.eventPublishRefusals.increment()
                trouble("the MQTT broker refuses fleetd's events (check its ACL: fleetd's user must be allowed to write \(settings.prefix)/#); retrying", [
                    "reason": "\(MosquittoClient.reasonText(refused.reason))",
                ], atLeast: .seconds(5))
            } catch {
                session = nil
                trouble("event publishing failed; retrying", ["error": "\(error)"])
            }
        }
        if let s = session { finish(s, storing: true) }
    }

    private var lastStore = ContinuousClock.now
    private var lastPoll = ContinuousClock.now
    private var lastLag = ContinuousClock.now

    /// Reads and publishes what the window has room for, waits briefly for acknowledgements or a
    /// commit's notification, and stores the cursor once a second; true when a stop may end now.

    private func round(_ s: inout Session, stopping: Bool) throws -> Bool {
        let broker = s.broker!
        // Caught up, the lag is what is in flight; behind (or refused), the feed is counted once a second.
        if !s.unread {
            metrics.eventPublishLag.set(to: Double(s.window.inFlight))
        } else if ContinuousClock.now - lastLag >= .seconds(1) {
            metrics.eventPublishLag.set(to: Double(try s.feed.count(after: s.window.cursor)))
            lastLag = .now
        }
        if s.unread && s.window.room > 0 {
            let limit = s.window.room
            let page = try s.feed.after(s.window.readUpTo, EventFeed.Filter(), limit: limit)
            for event in page { try publish(event, &s, broker) }
            s.unread = page.count == limit
        }
        if stopping && !s.unread && s.window.inFlight == 0 {
            // Whatever commits from now on is published by the next start.
            return true
        }
        let wait: Int32 = s.unread && s.window.room > 0 ? 0 : 200
        _ = try broker.wait(alsoOn: s.feed.socketDescriptor, timeoutMs: wait)
        // Asked every round, not only when the socket woke us: a notification that came in during the
        // last query already sits in libpq's buffer.
        if try s.feed.heardOfCommit() { s.unread = true }
        for ack in broker.takeAcks() {
            if ack.reason >= 0x80 { throw Refused(reason: ack.reason) }
            if s.window.acknowledged(message: ack.message) { metrics.eventsPublished[Self.sink]?.increment() }
        }
        let now = ContinuousClock.now
        // A writer that sent no NOTIFY, or a notification lost with a connection: the feed is read anyway.
        if now - lastPoll >= .seconds(5) {
            s.unread = true
            lastPoll = now
        }
        if s.window.cursor > s.stored && now - lastStore >= .seconds(1) {
            try s.feed.storePublishCursor(sink: Self.sink, seq: s.window.cursor)
            s.stored = s.window.cursor
            lastStore = now
        }
        return false
    }

    private func publish(_ event: EventFeed.Event, _ s: inout Session, _ broker: MQTTPublisher) throws {
        guard event.json.utf8.count <= settings.maxPayloadBytes,
              let topic = EventTopic.make(prefix: settings.prefix, kind: event.kind, vehicleID: event.vehicleID) else {
            return unpublishable(event, &s, why: "larger than \(settings.maxPayloadBytes) bytes or a topic too long")
        }
        switch Result(catching: { () throws(MQTTError) in try broker.publish(topic: topic, payload: Array(event.json.utf8)) }) {
        case .success(let message): s.window.published(seq: event.seq, message: message)
        case .failure(let error) where error.permanent: unpublishable(event, &s, why: error.description)
        case .failure(let error): throw error
        }
    }

    private func unpublishable(_ event: EventFeed.Event, _ s: inout Session, why: String) {
        s.window.skipped(seq: event.seq)
        metrics.eventsUnpublishable.increment()
        logger.error("an event cannot be published to MQTT and is passed over; read it with fleetd events --since \(event.seq - 1) --last 1", metadata: [
            "seq": "\(event.seq)", "kind": "\(event.kind.prefix(64))", "reason": "\(why)",
        ])
    }

    /// Ends a session: stores how far the broker acknowledged (when the database still answers).
    private func finish(_ s: Session, storing: Bool) {
        if storing && s.window.cursor > s.stored {
            do { try s.feed.storePublishCursor(sink: Self.sink, seq: s.window.cursor) } catch {
                logger.warning("could not store the event publish cursor; the next start publishes some events again", metadata: ["error": "\(error)"])
            }
        }
    }
}
