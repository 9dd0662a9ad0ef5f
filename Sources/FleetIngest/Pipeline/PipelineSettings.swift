import FleetCore

/// The knobs of the spool-to-PostgreSQL pipeline.
public struct PipelineSettings: Sendable {
    public var postgresURL: String
    public var schema: String
    /// A batch closes at this many rows (readings plus rejections) …
    public var batchSize: Int
    /// … or this long after its first message, whichever comes first.
    public var batchDelay: Duration
    public var limits: PayloadLimits
    /// How often the spool's pages are flushed to disk (bounds loss on power cut).
    public var spoolSyncInterval: Duration
    /// How long a shutdown waits for PostgreSQL before leaving the rest for replay.
    public var shutdownTimeout: Duration
    /// Apply pending migrations on the first connection.
    public var migrate: Bool
    /// Run the detectors (off: readings only, e.g. to measure what detection costs).
    public var detection: Bool
    /// How late a reading may arrive (device time) and still reach the detectors in order.
    public var reorderWindow: Duration
    /// How often detector state is stored; a restart replays at most this much of the spool.
    public var snapshotInterval: Duration
    /// Operators' edits are re-read this often even without a notification.
    public var operatorInputsReload: Duration
    /// `statement_timeout` for fleetd's session unless the connection string sets one; zero: none.
    /// A write blocked by a lock or an overloaded server then fails, is retried, and `/readyz` says so.
    public var statementTimeout: Duration
    /// Refused messages stored per vehicle and minute in `rejected_messages`; beyond, metrics only.
    public var rejectBudget: Int
    /// `rejected_messages` rows older than this are deleted, a few thousand at a time; zero: kept.
    public var rejectedRetention: Duration
    /// `dead_letters` rows older than this are deleted; zero: kept.
    public var deadLetterRetention: Duration
    /// Days of `readings` (device time) older than this are dropped whole; zero: kept.
    public var readingsRetention: Duration
    /// A vehicle that sent nothing for this long (receiving time) leaves memory once its state is
    /// stored, and is loaded again when it sends; zero: all stay in memory.
    public var vehicleIdleEvict: Duration

    public init(
        postgresURL: String = "", schema: String = "public", batchSize: Int = 5000,
        batchDelay: Duration = .milliseconds(100), limits: PayloadLimits = PayloadLimits(),
        spoolSyncInterval: Duration = .seconds(1), shutdownTimeout: Duration = .seconds(10),
        migrate: Bool = true, detection: Bool = true, reorderWindow: Duration = .seconds(10),
        snapshotInterval: Duration = .seconds(30), operatorInputsReload: Duration = .seconds(30),
        statementTimeout: Duration = .seconds(30), rejectBudget: Int = 30, rejectedRetention: Duration = .seconds(14 * 86_400),
        readingsRetention: Duration = .seconds(90 * 86_400), deadLetterRetention: Duration = .zero,
        vehicleIdleEvict: Duration = .seconds(7 * 86_400)
    ) {
        self.vehicleIdleEvict = vehicleIdleEvict
        self.rejectBudget = rejectBudget
        self.rejectedRetention = rejectedRetention
        self.readingsRetention = readingsRetention
        self.deadLetterRetention = deadLetterRetention
        self.statementTimeout = statementTimeout
        self.detection = detection
        self.reorderWindow = reorderWindow
        self.snapshotInterval = snapshotInterval
        self.operatorInputsReload = operatorInputsReload
        self.migrate = migrate
        self.postgresURL = postgresURL
        self.schema = schema
        self.batchSize = batchSize
        self.batchDelay = batchDelay
        self.limits = limits
        self.spoolSyncInterval = spoolSyncInterval
        self.shutdownTimeout = shutdownTimeout
    }
}
