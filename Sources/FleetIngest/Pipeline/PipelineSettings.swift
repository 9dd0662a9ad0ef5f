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

    public init(
        postgresURL: String = "", schema: String = "public", batchSize: Int = 5000,
        batchDelay: Duration = .milliseconds(100), limits: PayloadLimits = PayloadLimits(),
        spoolSyncInterval: Duration = .seconds(1), shutdownTimeout: Duration = .seconds(10),
        migrate: Bool = true
    ) {
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
