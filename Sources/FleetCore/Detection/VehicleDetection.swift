/// Runs one vehicle's detectors: readings enter through the reorder window and reach the
/// ordered detectors in device time; clock skew is judged on arrival (ClockWatch).
public enum VehicleDetection {
    public enum Outcome: Sendable, Equatable {
        /// Held in the reorder window, fed to the detectors in device-time order.
        case accepted
        /// The same (channel, ts) was already accepted: ignored.
        case duplicate
        /// Older than what was already fed: stored, not detected on.
        case late
    }

    /// Offers a reading that arrived at `arrivalMs`.
    public static func accept(_ r: Reading, arrivalMs: Int64, state: inout VehicleState, into out: inout [DetectionEvent]) -> Outcome {
        let verdict = state.clock.judge(r, arrivalMs: arrivalMs, held: state.reorder.heldForClock)
        for a in verdict.anomalies { out.append(.anomaly(a)) }
        apply(verdict.hold, to: &state.reorder)
        var r = r
        // A skewed clock's time is wrong, its values are not: the reading goes where the clock's
        // offset says it belongs (ClockWatch).
        r.ts = verdict.ts
        switch state.reorder.insert(r, arrivalMs: arrivalMs) {
        case .accepted: return .accepted
        case .duplicate: return .duplicate
        case .late: return .late
        }
    }

    private static func apply(_ hold: ClockWatch.Hold, to reorder: inout ReorderBuffer) {
        switch hold {
        case .none: break
        case .from(let ts): reorder.hold(from: ts)
        case .release: reorder.endHold()
        case .undo(let from, let shift): reorder.undoHold(from: from, shiftMs: shift)
        }
    }

    /// The end of a finite stream (tests and tools), before the held readings are flushed: a stall
    /// still undecided is taken at its word.
    public static func settle(state: inout VehicleState) {
        apply(state.clock.abandonHold(), to: &state.reorder)
    }

    /// The end of a finite stream (tests and tools), after the held readings were fed: detectors
    /// report what they still hold open.
    public static func finish(state: inout VehicleState, into out: inout [DetectionEvent]) {
        for e in state.fuel.finish() { DetectionEvent.from(e, into: &out) }
    }

    /// One reading, in device-time order, through every ordered detector.
    static func feed(_ r: Reading, state: inout VehicleState, into out: inout [DetectionEvent]) {
        for a in state.position.feed(r) { out.append(.anomaly(a)) }
        for a in state.odometer.feed(r) { out.append(.anomaly(a)) }
        for a in state.odometerGPS.feed(r) { out.append(.anomaly(a)) }
        for a in state.fuelRange.feed(r, capacityL: state.fuel.capacityL) { out.append(.anomaly(a)) }
        for e in state.fuel.process(r) {
            DetectionEvent.from(e, into: &out)
            if case .transaction(let tx) = e {
                for a in state.consumption.feed(tx) { out.append(.anomaly(a)) }
            }
        }
        if let o = r.odometerKm, state.odometerBaseKm == nil { state.odometerBaseKm = o - state.fuel.motion.distanceKm }
        if let h = r.engineHours { state.engineHours = h }
    }
}
