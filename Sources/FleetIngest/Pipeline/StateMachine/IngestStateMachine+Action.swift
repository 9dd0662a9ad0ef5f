import LibPQ

extension IngestStateMachine {
    /// A point in time as the state machine sees it: the monotonic clock decides intervals, the wall
    /// clock advances the detectors when the stream idles. Injected, so tests drive time.
    struct Moment {
        var monotonic: ContinuousClock.Instant
        var wallNanos: Int64

        static func now() -> Moment { Moment(monotonic: .now, wallNanos: WallClock.nowNanos()) }

        static func + (m: Moment, d: Duration) -> Moment {
            let c = d.components
            return Moment(monotonic: m.monotonic + d, wallNanos: m.wallNanos + c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000)
        }
    }

    /// What the driver does next. Actions that ask something (connect, read, write, dead-letter,
    /// reload, check notifications, ping) are answered with the matching event; the others are
    /// done and followed by `next(_:)`.
    enum Action {
        /// Open a connection (migrating first when asked) and load what the plan says.
        case connect(ConnectPlan)
        /// Read the spool entry at this position: `read(_:at:)`, or `caughtUp(at:)` at the head.
        case read(at: UInt64)
        /// Write this part of `batch` in one transaction: `written(_:at:)` or `failed(_:at:)`.
        case write(PostgresSink.Part)
        /// Keep message `index` of `batch` (its spooled bytes) in `dead_letters`.
        case deadLetterMessage(index: Int, refusal: RefusalIsolation.Refusal?)
        /// Keep event row `index` of `batch` in `dead_letters`.
        case deadLetterEvent(index: Int, refusal: RefusalIsolation.Refusal?)
        /// A batch committed: release the spool up to `commit.releaseUpTo`, record it.
        case committed(Commit)
        /// Release the spool up to here (at start: what is committed and not needed for replay).
        case release(upTo: UInt64)
        /// Load the operators' inputs again: `inputsLoaded(_:at:)`.
        case reloadInputs
        /// Whether an operator's edit was notified: `notified(_:at:)`.
        case checkNotified
        /// Check the idle connection: `pinged(at:)`.
        case ping
        /// Load these vehicles' stored states: `statesLoaded(_:requested:at:)`.
        case loadStates([String])
        /// Tend the partitions of `readings` and delete old refusals: `upkept(_:at:)`.
        case upkeep(Upkeep)
        /// Wait this long, less if a stop is requested.
        case sleep(Duration)
        /// Tell the operator (log, metrics, health).
        case report(Report)
        /// The pipeline is done.
        case finish(Finish)
    }

    struct ConnectPlan: Equatable {
        var migrate: Bool
        /// Load the operators' inputs (detection on).
        var loadInputs: Bool
        var resume: Resume

        enum Resume: Equatable {
            /// Connected before: nothing to load.
            case none
            /// First connection: the checkpoint, and with detection the stored detector states (those of
            /// vehicles idle longer than the eviction age by id only).
            case start
            /// A commit's answer was lost with the connection: read the checkpoint to learn whether it went through.
            case verifyCommit
        }
    }

    /// What a connection brought (what the plan asked for).
    struct Connected {
        var inputs: OperatorInputs?
        var checkpoint: UInt64?
        var stored: StoredDetection?
        /// The spool's unreleased range at this moment.
        var released: UInt64
        var head: UInt64
    }

    struct Commit {
        /// The committed batch, to record.
        var batch: IngestBatch
        var written: PostgresSink.Written
        var commitTime: Duration
        var releaseUpTo: UInt64
        /// Set on the first commit after an outage.
        var outage: Duration?
    }

    enum Report {
        case connected(afterOutage: Bool)
        /// A connect, write, reload or ping failed: the connection is dropped and retried.
        case failure(PGError)
        /// PostgreSQL refused a batch for a reason a retry will not cure; it is written in pieces.
        case isolating(PGError, messages: Int, events: Int)
        case isolated(deadLetters: Int, messages: Int)
        /// `dead_letters` refused the row too: it is skipped.
        case deadLetterLost(PGError)
        case snapshotRefused
        case unreadable(Range<UInt64>)
        /// The connection dropped after COMMIT, which went through: the batch is not written again.
        case commitWentThrough(checkpoint: UInt64)
        case checkpointBeyondHead(checkpoint: UInt64, head: UInt64)
        case checkpointBeforeReleased(checkpoint: UInt64, released: UInt64)
        /// Spooled messages not yet in PostgreSQL are read again from the checkpoint.
        case backlog(bytes: UInt64)
        case unusableStates(Int)
        case snapshotOutsideSpool(snapshot: UInt64, checkpoint: UInt64)
        case replayed(messages: Int, took: Duration)
        /// An idle connection answered and nothing waits to be written.
        case reachable
        case inputsReloaded
        case upkept(Upkeep.Done)
        /// Idle vehicles' states left memory (they are stored; loaded again when they send).
        case evicted(vehicles: Int)
    }

    enum Finish: Equatable {
        /// Everything read is committed.
        case drained
        /// The shutdown timeout passed first; the spool keeps the rest for the next start.
        case timedOut
    }
}
