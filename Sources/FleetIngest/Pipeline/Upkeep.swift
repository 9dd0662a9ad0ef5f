/// What the pipeline tends between batches, once a minute and first thing after connecting: old
/// refusals deleted, and `readings`' day partitions made ahead and dropped past the retention.
struct Upkeep: Equatable {
    /// `rejected_messages` rows received longer ago go; nil: kept.
    var rejectedOlderThan: Duration?
    /// `dead_letters` rows received longer ago go; nil: kept (the default: each is a row to act on).
    var deadLettersOlderThan: Duration? = nil
    /// Days of readings (by device time) older than this are dropped whole; nil: kept.
    var readingsRetention: Duration?
    /// Partitions exist from today to this many days on (UTC), so a day's first rows never wait for one.
    var daysAhead = Upkeep.daysAhead

    static let daysAhead = 3

    /// What a round did.
    struct Done: Equatable {
        var rejectedDeleted = 0
        var deadLettersDeleted = 0
        var created: [String] = []
        var dropped: [String] = []
        /// Rows of the default partition moved into a day created for them.
        var movedFromDefault = 0
        /// Rows of the default partition (far-off clocks) deleted by age.
        var defaultDeleted = 0
        /// Changes PostgreSQL refused this round (tried again next round).
        var problems: [String] = []
    }
}
