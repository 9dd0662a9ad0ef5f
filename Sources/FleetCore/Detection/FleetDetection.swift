/// Detection for a whole fleet: one `VehicleState` per vehicle, driven only by the stream it is
/// given — readings with their receipt times, and explicit ticks — never by a clock of its own.
/// Fed the same stream from the same snapshot it derives the same events, which is what lets the
/// pipeline rebuild its state after a crash by replaying the spool.
///
/// States live in an array addressed by a slot per vehicle: one hash lookup per reading, and a
/// state (about a kilobyte) is always mutated in place, never copied out of a dictionary.
public struct FleetDetection: Sendable {
    public let windowMs: Int64
    private var slots: [String: Int] = [:]
    private var ids: [String] = []
    private var states: [VehicleState] = []
    /// The receiving clock: the newest receipt time seen (ticks included).
    public private(set) var clockMs: Int64 = .min
    /// Slots whose readings wait in the reorder window.
    private var holding: Set<Int> = []
    private var nextSweepMs: Int64 = .min
    /// Slots changed since the last `takeChanged()`: what a snapshot must write.
    private var changedFlags: [Bool] = []
    private var changedSlots: [Int] = []
    /// Receipt time of each slot's latest reading: what idleness is measured by.
    private var lastArrivalMs: [Int64] = []
    private var configs: [String: VehicleConfig] = [:]
    private var maintenance = MaintenanceBook(plans: [], records: [])
    /// Alerts already raised (once per interval and level), as stored in `maintenance_alerts`.
    private var raised: Set<MaintenanceAlert.Key> = []
    /// Reused for released readings: no allocation per reading.
    private var scratch: [Reading] = []

    /// Quiet vehicles' held readings are looked at this often (receiving time).
    public static let sweepEveryMs: Int64 = 1_000

    public init(windowMs: Int64) {
        precondition(windowMs >= 0)
        self.windowMs = windowMs
    }

    /// Restores snapshotted states and the clock they were taken at.
    public init(windowMs: Int64, restoring restored: [String: VehicleState], clockMs: Int64) {
        self.init(windowMs: windowMs)
        // The clock first: restored vehicles count as active at the snapshot's time.
        self.clockMs = clockMs
        for (id, s) in restored.sorted(by: { $0.key < $1.key }) {
            let slot = add(id, s)
            if s.reorder.heldCount > 0 { holding.insert(slot) }
        }
    }

    public func state(of vehicleID: String) -> VehicleState? { slots[vehicleID].map { states[$0] } }

    /// Every vehicle's state (tests and tools).
    public var allStates: [VehicleState] { states }

    // MARK: Operator inputs

    /// Tank sizes and threshold overrides; applied to known vehicles at once.
    public mutating func setConfigs(_ new: [String: VehicleConfig]) {
        configs = new
        for slot in states.indices {
            let c = new[ids[slot]] ?? VehicleConfig()
            if states[slot].fuel.capacityL != c.capacityL || states[slot].fuel.overrides != c.overrides {
                states[slot].fuel.capacityL = c.capacityL
                states[slot].fuel.overrides = c.overrides
                markChanged(slot)
            }
        }
    }

    public mutating func setMaintenance(_ book: MaintenanceBook, raised: Set<MaintenanceAlert.Key>) {
        maintenance = book
        self.raised = raised
    }

    // MARK: The stream

    /// One decoded reading received at `arrivalMs`. Events found are appended to `out`.
    public mutating func ingest(_ r: Reading, arrivalMs: Int64, into out: inout [DetectionEvent]) -> VehicleDetection.Outcome {
        advanceClock(to: arrivalMs, into: &out)
        let slot = slots[r.vehicleID] ?? add(r.vehicleID, VehicleState(vehicleID: r.vehicleID, windowMs: windowMs,
                                                                         config: configs[r.vehicleID] ?? VehicleConfig()))
        markChanged(slot)
        lastArrivalMs[slot] = max(lastArrivalMs[slot], arrivalMs)
        let outcome = VehicleDetection.accept(r, arrivalMs: arrivalMs, state: &states[slot], into: &out)
        if outcome == .accepted { release(slot, into: &out) }
        return outcome
    }

    /// The receiving clock moved on without a reading (an idle stream): release what is due.
    public mutating func tick(nowMs: Int64, into out: inout [DetectionEvent]) {
        advanceClock(to: nowMs, into: &out)
    }

    /// Releases everything held (the end of a finite stream: tests and tools only).
    public mutating func flushAll(into out: inout [DetectionEvent]) {
        for slot in states.indices {
            VehicleDetection.settle(state: &states[slot])
            for r in states[slot].reorder.flush() { feed(r, slot, into: &out) }
            VehicleDetection.finish(state: &states[slot], into: &out)
            markChanged(slot)
        }
        holding.removeAll()
    }

    /// The vehicles changed since the last call, with their states (for a snapshot).
    public mutating func takeChanged() -> [(String, VehicleState)] {
        defer {
            for slot in changedSlots { changedFlags[slot] = false }
            changedSlots.removeAll(keepingCapacity: true)
        }
        return changedSlots.map { (ids[$0], states[$0]) }
    }

    public var hasChanges: Bool { !changedSlots.isEmpty }

    /// Vehicles whose state is in memory.
    public var vehicleCount: Int { states.count }

    /// Whether the vehicle's state is in memory.
    public func holdsState(of vehicleID: String) -> Bool { slots[vehicleID] != nil }

    /// Drops from memory the states of vehicles that have sent nothing since `cutoffMs` (receiving
    /// time), hold no reading, and are unchanged since the last `takeChanged()`: the stored snapshot
    /// has them exactly as they are. Returns their ids; `adopt` takes a state back when one sends again.
    public mutating func evictIdle(before cutoffMs: Int64) -> [String] {
        removeSlots(states.indices.filter { lastArrivalMs[$0] < cutoffMs && !changedFlags[$0] && !holding.contains($0) }).map(\.vehicleID)
    }

    /// What goes with vehicles handed to another detector: their states, held readings included, and
    /// the maintenance alerts already raised for them (each is raised once per interval and level).
    public struct Handover: Sendable {
        public var states: [(vehicleID: String, state: VehicleState)] = []
        public var raised: Set<MaintenanceAlert.Key> = []
    }

    /// Vehicles leaving for another detector (their partition moved to another instance): removed, and
    /// handed over for the new owner to `receive`.
    public mutating func handOver(where leaving: (String) -> Bool) -> Handover {
        var out = Handover()
        out.states = removeSlots(ids.indices.filter { leaving(ids[$0]) })
        out.raised = raised.filter { leaving($0.vehicleID) }
        raised.subtract(out.raised)
        return out
    }

    /// Vehicles handed over by another detector.
    public mutating func receive(_ handover: Handover) {
        for (id, state) in handover.states { adopt(id, state) }
        raised.formUnion(handover.raised)
    }

    /// A state loaded back from storage for a vehicle not in memory (evicted, or not loaded at start),
    /// with the operators' current config; held readings in it wait for the next sweep.
    public mutating func adopt(_ vehicleID: String, _ state: VehicleState) {
        guard slots[vehicleID] == nil else { return }
        var s = state
        let c = configs[vehicleID] ?? VehicleConfig()
        s.fuel.capacityL = c.capacityL
        s.fuel.overrides = c.overrides
        let slot = add(vehicleID, s)
        if s.reorder.heldCount > 0 { holding.insert(slot) }
    }

    /// A snapshot taken with `takeChanged()` was not stored: its vehicles go into the next one again
    /// (else their stored states would stay behind until they change once more).
    public mutating func markChanged(_ vehicleIDs: some Sequence<String>) {
        for id in vehicleIDs { if let slot = slots[id] { markChanged(slot) } }
    }

    /// Whether any vehicle has readings waiting in the reorder window.
    public var isHolding: Bool { !holding.isEmpty }

    /// How many vehicles have readings waiting in the reorder window.
    public var vehiclesHolding: Int { holding.count }

    // MARK: Internals

    private mutating func add(_ id: String, _ state: VehicleState) -> Int {
        let slot = states.count
        slots[id] = slot
        ids.append(id)
        states.append(state)
        changedFlags.append(false)
        lastArrivalMs.append(clockMs)
        return slot
    }

    /// Removes the vehicles of `slots` (ascending); returns them with their states.
    private mutating func removeSlots(_ slots: [Int]) -> [(vehicleID: String, state: VehicleState)] {
        var removed: [(vehicleID: String, state: VehicleState)] = []
        // Downwards: the slot moved into a freed one is the last, above every slot still to go.
        for slot in slots.reversed() {
            removed.append((ids[slot], states[slot]))
            remove(slot)
        }
        return removed
    }

    /// Frees `slot` (forgetting that it changed or holds readings), moving the last slot into it.
    private mutating func remove(_ slot: Int) {
        if changedFlags[slot] {
            changedFlags[slot] = false
            changedSlots.removeAll { $0 == slot }
        }
        holding.remove(slot)
        let last = states.count - 1
        slots[ids[slot]] = nil
        if slot != last {
            states.swapAt(slot, last)
            ids.swapAt(slot, last)
            changedFlags.swapAt(slot, last)
            lastArrivalMs.swapAt(slot, last)
            slots[ids[slot]] = slot
            if holding.remove(last) != nil { holding.insert(slot) }
            if changedFlags[slot], let i = changedSlots.firstIndex(of: last) { changedSlots[i] = slot }
        }
        states.removeLast()
        ids.removeLast()
        changedFlags.removeLast()
        lastArrivalMs.removeLast()
    }

    private mutating func markChanged(_ slot: Int) {
        guard !changedFlags[slot] else { return }
        changedFlags[slot] = true
        changedSlots.append(slot)
    }

    private mutating func advanceClock(to ms: Int64, into out: inout [DetectionEvent]) {
        guard ms > clockMs else { return }
        clockMs = ms
        guard ms >= nextSweepMs else { return }
        nextSweepMs = ms + Self.sweepEveryMs
        for slot in holding {
            // A unit silent since its stall was suspected: nothing will decide it, take it at its word.
            if states[slot].clock.isHolding && lastArrivalMs[slot] < ms - ClockWatch.maxHoldIdleMs {
                VehicleDetection.settle(state: &states[slot])
                markChanged(slot)
            }
            release(slot, into: &out)
        }
    }

    /// Feeds what the vehicle's reorder window releases at the receiving clock to its detectors.
    private mutating func release(_ slot: Int, into out: inout [DetectionEvent]) {
        scratch.removeAll(keepingCapacity: true)
        states[slot].reorder.release(nowMs: clockMs, into: &scratch)
        if states[slot].reorder.heldCount > 0 { holding.insert(slot) } else { holding.remove(slot) }
        guard !scratch.isEmpty else { return }
        markChanged(slot)
        for r in scratch { feed(r, slot, into: &out) }
    }

    /// One released reading through the detectors, then the maintenance plans at its time: a backlog
    /// released at once raises an alert at the reading that crossed the mark, as it would live.
    private mutating func feed(_ r: Reading, _ slot: Int, into out: inout [DetectionEvent]) {
        VehicleDetection.feed(r, state: &states[slot], into: &out)
        checkMaintenance(slot, ts: r.ts, into: &out)
    }

    /// Maintenance plans against the vehicle's counters at device time `ts` (once per interval and level).
    private mutating func checkMaintenance(_ slot: Int, ts: Int64, into out: inout [DetectionEvent]) {
        for alert in maintenance.alerts(vehicleID: ids[slot], ts: ts, odometerKm: states[slot].odometerKm,
                                        engineHours: states[slot].engineHours)
        where raised.insert(alert.key).inserted {
            out.append(.maintenance(alert))
        }
    }
}
