/// Detection for a whole fleet: one `VehicleState` per vehicle, driven only by the stream it is
/// given — readings with their receipt times, and explicit ticks — never by a clock of its own.
/// Fed the same stream from the same snapshot it derives the same events, which is what lets the
/// pipeline rebuild its state after a crash by replaying the spool.
public struct FleetDetection: Sendable {
    public let windowMs: Int64
    public private(set) var vehicles: [String: VehicleState] = [:]
    /// The receiving clock: the newest receipt time seen (ticks included).
    public private(set) var clockMs: Int64 = .min
    /// Vehicles whose readings wait in the reorder window.
    private var holding: Set<String> = []
    private var nextSweepMs: Int64 = .min
    /// Vehicles changed since the last `takeChanged()`: what a snapshot must write.
    public private(set) var changed: Set<String> = []
    private var configs: [String: VehicleConfig] = [:]
    private var maintenance = MaintenanceBook(plans: [], records: [])
    /// Alerts already raised (once per interval and level), as stored in `maintenance_alerts`.
    private var raised: Set<MaintenanceAlert.Key> = []

    /// Quiet vehicles' held readings are looked at this often (receiving time).
    public static let sweepEveryMs: Int64 = 1_000

    public init(windowMs: Int64) {
        precondition(windowMs >= 0)
        self.windowMs = windowMs
    }

    /// Restores snapshotted states and the clock they were taken at.
    public init(windowMs: Int64, restoring states: [String: VehicleState], clockMs: Int64) {
        self.init(windowMs: windowMs)
        vehicles = states
        self.clockMs = clockMs
        for (id, s) in states where s.reorder.heldCount > 0 { holding.insert(id) }
    }

    // MARK: Operator inputs

    /// Tank sizes and threshold overrides; applied to known vehicles at once.
    public mutating func setConfigs(_ new: [String: VehicleConfig]) {
        configs = new
        for id in vehicles.keys {
            let c = new[id] ?? VehicleConfig()
            if vehicles[id]!.fuel.capacityL != c.capacityL || vehicles[id]!.fuel.overrides != c.overrides {
                vehicles[id]!.fuel.capacityL = c.capacityL
                vehicles[id]!.fuel.overrides = c.overrides
                changed.insert(id)
            }
        }
    }

    public mutating func setMaintenance(_ book: MaintenanceBook, raised: Set<MaintenanceAlert.Key>) {
        maintenance = book
        self.raised = raised
    }

    // MARK: The stream

    /// One decoded reading received at `arrivalMs`. Events found are appended to `out`.
    public mutating func ingest(_ r: Reading, arrivalMs: Int64, into out: inout [DetectionEvent]) -> VehicleEngine.Outcome {
        advanceClock(to: arrivalMs, into: &out)
        let id = r.vehicleID
        if vehicles[id] == nil { vehicles[id] = VehicleState(vehicleID: id, windowMs: windowMs, config: configs[id] ?? VehicleConfig()) }
        changed.insert(id)
        let outcome = VehicleEngine.accept(r, arrivalMs: arrivalMs, state: &vehicles[id]!, into: &out)
        if outcome == .accepted {
            release(id, into: &out)
        }
        return outcome
    }

    /// The receiving clock moved on without a reading (an idle stream): release what is due.
    public mutating func tick(nowMs: Int64, into out: inout [DetectionEvent]) {
        advanceClock(to: nowMs, into: &out)
    }

    /// Releases everything held (the end of a finite stream: tests and tools only).
    public mutating func flushAll(into out: inout [DetectionEvent]) {
        for id in vehicles.keys.sorted() {
            VehicleEngine.flush(state: &vehicles[id]!, into: &out)
            checkMaintenance(id, into: &out)
            changed.insert(id)
        }
        holding.removeAll()
    }

    /// The vehicles changed since the last call, with their states (for a snapshot).
    public mutating func takeChanged() -> [(String, VehicleState)] {
        defer { changed.removeAll(keepingCapacity: true) }
        return changed.compactMap { id in vehicles[id].map { (id, $0) } }
    }

    /// Whether any vehicle has readings waiting in the reorder window.
    public var isHolding: Bool { !holding.isEmpty }

    public var heldReadings: Int { holding.reduce(0) { $0 + (vehicles[$1]?.reorder.heldCount ?? 0) } }

    // MARK: Internals

    private mutating func advanceClock(to ms: Int64, into out: inout [DetectionEvent]) {
        guard ms > clockMs else { return }
        clockMs = ms
        guard ms >= nextSweepMs else { return }
        nextSweepMs = ms + Self.sweepEveryMs
        for id in holding { release(id, into: &out) }
    }

    private mutating func release(_ id: String, into out: inout [DetectionEvent]) {
        let n = VehicleEngine.advance(nowMs: clockMs, state: &vehicles[id]!, into: &out)
        if vehicles[id]!.reorder.heldCount > 0 { holding.insert(id) } else { holding.remove(id) }
        if n > 0 {
            changed.insert(id)
            checkMaintenance(id, into: &out)
        }
    }

    /// Maintenance plans against the vehicle's newest counters, at the device time of the newest
    /// reading fed (once per interval and level).
    private mutating func checkMaintenance(_ id: String, into out: inout [DetectionEvent]) {
        guard let s = vehicles[id], let ts = s.reorder.releasedThrough else { return }
        for alert in maintenance.alerts(vehicleID: id, ts: ts, odometerKm: s.odometerKm, engineHours: s.engineHours)
        where raised.insert(alert.key).inserted {
            out.append(.maintenance(alert))
        }
    }
}
