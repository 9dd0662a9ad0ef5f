import FleetCore
import Testing

@testable import FleetIngest

/// The pipeline's decisions without I/O: each invariant the daemon relies on, driven through
/// `IngestWorld` (a spool and a database kept in memory) with time injected.
@Suite struct IngestStateMachineTests {
    static func settings(detection: Bool = true, batchSize: Int = 50) -> PipelineSettings {
        PipelineSettings(batchSize: batchSize, batchDelay: .milliseconds(100), shutdownTimeout: .seconds(2), migrate: true,
                         detection: detection, snapshotInterval: .seconds(30))
    }

    /// Every message position stored exactly once, and the checkpoint at the head.
    static func expectEachStoredOnce(_ w: IngestWorld, except excluded: Set<UInt64> = [], sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = Set(w.spool.map(\.position)).subtracting(excluded)
        #expect(Set(w.stored.keys) == expected, sourceLocation: sourceLocation)
        #expect(w.stored.values.allSatisfy { $0 == 1 }, "a message's rows inserted twice", sourceLocation: sourceLocation)
        #expect(w.checkpoint == w.head, sourceLocation: sourceLocation)
    }

    @Test func aFirstStartMigratesOnceAndCommitsEverySpooledMessage() {
        let w = IngestWorld(settings: Self.settings())
        for i in 0..<120 { w.publish("v\(i % 7)", ts: Int64(1_000 * i)) }
        w.runUntilCommitted()
        Self.expectEachStoredOnce(w)
        #expect(w.actions.filter { $0 == "connect" }.count == 1)
        #expect(w.commits.count >= 3, "batches close at 50 rows")
        #expect(w.commits.allSatisfy { $0.batch.rowCount <= 50 })
    }

    @Test(arguments: [false, true])
    func releaseNeverPassesTheCommitNorTheDetectorSnapshot(detection: Bool) {
        // Outages and lost answers at changing moments: whatever happens, the spool keeps what is not
        // committed and, with detection, what a replay from the committed snapshot needs.
        for seed in 0..<20 {
            let w = IngestWorld(settings: Self.settings(detection: detection, batchSize: 7 + seed % 5))
            var committedSnapshot: UInt64?
            var published = 0
            for round in 0..<12 {
                for _ in 0..<(3 + (seed * 7 + round) % 11) {
                    w.publish("v\(published % 5)", ts: Int64(500 * published))
                    published += 1
                }
                w.databaseUp = (seed + round) % 4 != 0
                w.loseNextCommitAnswer = (seed * round) % 5 == 3
                w.run(limit: 40 + 13 * ((seed + round) % 7))
                w.advance(.milliseconds(150))
            }
            w.databaseUp = true
            w.runUntilCommitted()
            var checkpointSoFar: UInt64 = 0
            for c in w.commits {
                checkpointSoFar = max(checkpointSoFar, c.batch.endPosition)
                if let s = c.batch.snapshot { committedSnapshot = s.position }
                #expect(c.releaseUpTo <= c.batch.endPosition)
                if detection { #expect(c.releaseUpTo <= committedSnapshot ?? 0, "released past the committed snapshot (seed \(seed))") }
            }
            #expect(w.releases.allSatisfy { $0 <= checkpointSoFar })
            Self.expectEachStoredOnce(w)
        }
    }

    @Test func theCheckpointMovesOnlyWithTheBatchThatEndsThere() {
        let w = IngestWorld(settings: Self.settings(detection: false, batchSize: 10))
        for i in 0..<35 { w.publish("v1", ts: Int64(i * 1000)) }
        w.runUntilCommitted()
        var previous: UInt64 = 0
        for c in w.commits {
            let positions = c.batch.spans.map(\.position)
            #expect(positions.first == previous, "a batch starts where the last ended")
            #expect(c.releaseUpTo == c.batch.endPosition)
            previous = c.batch.endPosition
        }
        #expect(previous == w.head)
    }

    @Test func aRefusedMessageIsDeadLetteredOnceAndTheRestCommit() {
        let w = IngestWorld(settings: Self.settings(batchSize: 40))
        for i in 0..<30 { w.publish(i == 17 ? "poison" : "v\(i % 4)", ts: Int64(i * 1000)) }
        w.poisonTopic = "poison"
        let poisoned = w.spool[17].position
        // The isolation must not take messages that arrive while it runs, nor lose its place when the
        // connection drops in the middle.
        w.run(limit: 2_000) { w in w.actions.contains { $0.hasPrefix("write messages") } }
        for i in 30..<45 { w.publish("v\(i % 4)", ts: Int64(i * 1000)) }
        w.databaseUp = false
        w.run(limit: 30)
        w.databaseUp = true
        w.runUntilCommitted()
        #expect(w.deadLetters == [poisoned])
        Self.expectEachStoredOnce(w, except: [poisoned])
        #expect(w.reports.contains { if case .isolated(deadLetters: 1, _) = $0 { true } else { false } })
        // Bisection: a handful of pieces, not one transaction per message.
        #expect(w.actions.filter { $0.hasPrefix("write") }.count < 20)
    }

    @Test func aRefusedEventIsDeadLetteredAndTheReadingsCommit() {
        let w = IngestWorld(settings: Self.settings(batchSize: 500))
        // An odometer that rolls back by 1,000 km: an anomaly row.
        var ts: Int64 = 0
        for km in 0..<20 { ts += 30_000; w.publish("car", ts: ts, odometer: 10_000 + Double(km)) }
        for km in 0..<20 { ts += 30_000; w.publish("car", ts: ts, odometer: 9_000 + Double(km)) }
        w.refuseEvents = true
        w.runUntilCommitted()
        w.advance(.seconds(20))
        w.run(limit: 5_000) { $0.checkpoint == $0.head && $0.machine.batch.isEmpty && !$0.machine.runner!.detection.isHolding }
        Self.expectEachStoredOnce(w)
        #expect(!w.deadEvents.isEmpty, "the refused event row is kept aside")
    }

    @Test func aTransientRefusalIsRetriedWholeNotIsolated() {
        let w = IngestWorld(settings: Self.settings())
        for i in 0..<20 { w.publish("v1", ts: Int64(i * 1000)) }
        w.transientFailures = 2
        w.runUntilCommitted()
        Self.expectEachStoredOnce(w)
        #expect(w.deadLetters.isEmpty)
        #expect(!w.actions.contains { $0.hasPrefix("write messages") })
        #expect(w.wholeWrites == 3)
    }

    @Test func aCommitWhoseAnswerWasLostIsNotWrittenTwice() {
        let w = IngestWorld(settings: Self.settings(detection: false, batchSize: 10))
        for i in 0..<10 { w.publish("v1", ts: Int64(i * 1000)) }
        w.loseNextCommitAnswer = true
        w.runUntilCommitted()
        w.run(limit: 1_000) { $0.commits.count == 1 }
        #expect(w.wholeWrites == 1)
        #expect(w.stored.values.allSatisfy { $0 == 1 })
        #expect(w.reports.contains { if case .commitWentThrough = $0 { true } else { false } })
        #expect(w.commits.count == 1 && w.commits[0].written.duplicates == 0)
    }

    /// Vehicle status is written with snapshots and every few seconds, not with every batch; what a
    /// crash loses of it lies after the snapshot, and the replay rebuilds it.
    @Test func vehicleStatusNotYetWrittenWhenItCrashesIsRebuiltByTheReplay() {
        let w = IngestWorld(settings: Self.settings())
        for i in 0..<10 { w.publish("v1", ts: Int64(i * 1000), fuel: Double(100 - i), odometer: Double(i)) }
        w.runUntilCommitted()
        #expect(w.storedStatus.vehicles["v1"]?.lastSeen == 9_000, "the first commit carries a snapshot, and the status with it")
        w.advance(.seconds(1))
        for i in 10..<20 { w.publish("v1", ts: Int64(i * 1000), fuel: Double(100 - i), odometer: Double(i)) }
        w.runUntilCommitted()
        #expect(w.storedStatus.vehicles["v1"]?.lastSeen == 9_000, "within 5 s of the last status write, the next waits")

        w.restart(settings: Self.settings())  // kill -9: the pending status is gone with the process
        w.run(limit: 2_000) { $0.machine.phase == .running && $0.commits.count > 2 }
        w.advance(.seconds(2))
        w.run(limit: 2_000) { $0.storedStatus.vehicles["v1"]?.lastSeen == 19_000 }
        var expected = FleetStatus()
        for i in 0..<20 {
            expected.add(Reading(vehicleID: "v1", channel: .fuel, ts: Int64(i * 1000), fuelL: Double(100 - i), odometerKm: Double(i)), receivedAtNanos: 0)
        }
        #expect(w.storedStatus.vehicles["v1"]?.odometerKm == expected.vehicles["v1"]?.odometerKm)
        #expect(w.storedStatus.vehicles["v1"]?.fuel == expected.vehicles["v1"]?.fuel)
        #expect(w.storedStatus.days == expected.days.mapValues { d in d })
    }

    @Test func withDetectionOffEachBatchCarriesItsOwnStatus() {
        let w = IngestWorld(settings: Self.settings(detection: false))
        for i in 0..<10 { w.publish("v\(i % 3)", ts: Int64(i * 1000)) }
        w.runUntilCommitted()
        #expect(w.commits.allSatisfy { $0.batch.status?.vehicles.isEmpty == false })
        #expect(w.storedStatus.vehicles.count == 3 && w.storedStatus.vehicles["v0"]?.lastSeen == 9_000)
    }

    @Test func aBatchThatFailedTakesNoMoreMessagesUntilItCommits() {
        // A batch written once is sealed: the check of a lost commit and a retry see the same rows.
        let w = IngestWorld(settings: Self.settings(detection: false, batchSize: 100))
        for i in 0..<5 { w.publish("v1", ts: Int64(i * 1000)) }
        // Past the upkeep that follows connecting (it would meet the outage before the write does).
        w.run { $0.actions.contains("upkeep") }
        w.databaseUp = false
        w.advance(.milliseconds(200))
        w.run(limit: 200) { $0.wholeWrites == 1 }
        w.run(limit: 50)
        for i in 5..<12 { w.publish("v1", ts: Int64(i * 1000)) }
        w.run(limit: 300)
        w.databaseUp = true
        w.run(limit: 20_000) { !$0.commits.isEmpty }
        #expect(w.commits.first?.batch.spans.count == 5)
        w.runUntilCommitted()
        Self.expectEachStoredOnce(w)
    }

    @Test func inputsAreAppliedBeforeReplay() {
        let w = IngestWorld(settings: Self.settings())
        for i in 0..<10 { w.publish("v1", ts: Int64(i * 1000)) }
        // A previous run committed all of it with a snapshot at the third message.
        w.storedDetection.snapshot = (position: w.spool[3].position, clockMs: 0)
        w.inputs.configs["v1"] = VehicleConfig()
        w.setCheckpoint(w.head)
        w.run(limit: 1_000)
        #expect(w.inputsAtFirstReplayRead == true)
        #expect(w.reports.contains { if case .replayed(messages: 7, _) = $0 { true } else { false } })
        #expect(w.releases.first == w.spool[3].position, "the spool is kept from the snapshot for the replay")
        #expect(w.stored.isEmpty, "replayed messages are not written again")
    }

    @Test func aStopWithPostgreSQLDownTimesOutAndReleasesNothing() {
        let w = IngestWorld(settings: Self.settings())
        for i in 0..<10 { w.publish("v1", ts: Int64(i * 1000)) }
        w.databaseUp = false
        w.run(limit: 100)
        let stoppedAt = w.now.monotonic
        w.stop()
        w.run()
        #expect(w.finished == .timedOut)
        #expect(w.now.monotonic - stoppedAt <= .seconds(2) + .milliseconds(200))
        #expect(w.releases.isEmpty && w.commits.isEmpty)
        #expect(w.sleeps.suffix(3).allSatisfy { $0 <= .milliseconds(200) }, "while stopping, retries come every 200 ms")
    }

    @Test func aStopCommitsWhatIsReadWithALastSnapshotAndFinishes() {
        let w = IngestWorld(settings: Self.settings())
        for i in 0..<10 { w.publish("v1", ts: Int64(i * 1000)) }
        w.stop()
        w.run()
        #expect(w.finished == .drained)
        Self.expectEachStoredOnce(w)
        #expect(w.snapshotPosition == w.head, "a restart replays nothing")
    }

    @Test func connectFailuresBackOffUpToTheCap() {
        let w = IngestWorld(settings: Self.settings())
        w.databaseUp = false
        w.run(limit: 40)
        let backoffs = w.sleeps.filter { $0 > .milliseconds(1) }
        #expect(Array(backoffs.prefix(6)) == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5)])
        w.databaseUp = true
        w.publish("v1", ts: 1)
        w.runUntilCommitted()
        #expect(w.reports.contains { if case .connected(afterOutage: true) = $0 { true } else { false } })
        #expect(w.commits.last?.outage != nil, "the first commit after an outage says how long it lasted")
    }

    @Test func aCheckpointBeyondTheSpoolHeadResumesAtTheHead() {
        let w = IngestWorld(settings: Self.settings(detection: false))
        w.publish("v1", ts: 1)
        w.setCheckpoint(w.head + 4096)
        w.run(limit: 100)
        #expect(w.machine.readPosition == w.head)
        #expect(w.reports.contains { if case .checkpointBeyondHead = $0 { true } else { false } })
    }

    @Test func aRefusedSnapshotsVehiclesGoIntoTheNextOne() {
        let w = IngestWorld(settings: Self.settings(batchSize: 500))
        for (i, v) in ["v1", "v2", "v3"].enumerated() { w.publish(v, ts: Int64(i * 1000)) }
        w.refuseSnapshots = true
        w.runUntilCommitted()
        #expect(w.reports.contains { if case .snapshotRefused = $0 { true } else { false } })
        #expect(w.snapshotPosition == nil, "nothing stored a snapshot yet")
        w.refuseSnapshots = false
        w.publish("v9", ts: 10_000)
        w.advance(.seconds(2))
        w.run(limit: 5_000) { $0.commits.last?.batch.snapshot?.position == $0.head }
        let stored = Set(w.commits.compactMap(\.batch.snapshot).last?.states.map(\.vehicleID) ?? [])
        #expect(stored.isSuperset(of: ["v1", "v2", "v3", "v9"]), "stored: \(stored)")
    }

    static func evicting(_ age: Duration) -> PipelineSettings {
        var s = settings(batchSize: 500)
        s.vehicleIdleEvict = age
        return s
    }

    static func anomalies(_ w: IngestWorld, _ vehicle: String) -> [String] {
        w.commits.flatMap(\.batch.events).compactMap { e -> String? in
            if case .anomaly(let a) = e, a.vehicleID == vehicle { return a.kind.rawValue }
            return nil
        }
    }

    @Test func idleVehiclesLeaveMemoryAndComeBackWithTheirState() {
        let w = IngestWorld(settings: Self.evicting(.seconds(60)))
        for i in 0..<5 { w.publish("a", ts: Int64(i) * 1_000, odometer: 10_000 + Double(i)) }
        w.runUntilCommitted()
        w.advance(.seconds(120))
        w.publish("b", ts: 1_000, odometer: 5)
        w.runUntilCommitted()
        w.advance(.seconds(31))
        w.publish("b", ts: 2_000, odometer: 5)
        w.runUntilCommitted()
        #expect(w.machine.runner?.detection.holdsState(of: "a") == false, "a has been idle 2 minutes")
        #expect(w.machine.runner?.detection.holdsState(of: "b") == true)
        #expect(w.reports.contains { if case .evicted = $0 { true } else { false } })
        // a comes back with an odometer 1,000 km lower: only its old state can tell.
        w.publish("a", ts: 200_000, odometer: 9_000)
        w.runUntilCommitted()
        w.advance(.seconds(20))
        w.run(limit: 2_000)
        #expect(w.actions.contains("load states"))
        #expect(Self.anomalies(w, "a").contains("odometer_rollback"), "\(Self.anomalies(w, "a"))")
    }

    @Test func aRestartLoadsIdleVehiclesOnlyWhenTheySend() {
        let w = IngestWorld(settings: Self.evicting(.seconds(60)))
        for i in 0..<5 { w.publish("a", ts: Int64(i) * 1_000, odometer: 10_000 + Double(i)) }
        w.publish("b", ts: 1_000, odometer: 5)
        w.stop()
        w.run()
        #expect(w.finished == .drained)
        w.idleAtStart = ["a"]
        w.restart(settings: Self.evicting(.seconds(60)))
        w.run(limit: 500)
        #expect(w.machine.runner?.detection.holdsState(of: "a") == false, "a is loaded by id only")
        #expect(w.machine.runner?.detection.holdsState(of: "b") == true)
        w.databaseUp = false
        w.publish("a", ts: 200_000, odometer: 9_000)
        w.publish("b", ts: 200_000, odometer: 6)
        w.run(limit: 300)
        #expect(w.machine.runner?.detection.holdsState(of: "a") == false, "no state while the database is away")
        w.databaseUp = true
        w.runUntilCommitted()
        w.advance(.seconds(20))
        w.run(limit: 2_000)
        #expect(w.actions.filter { $0 == "load states" }.count >= 2, "asked again after the reconnect")
        #expect(Self.anomalies(w, "a").contains("odometer_rollback"))
        Self.expectEachStoredOnce(w)
    }
}
