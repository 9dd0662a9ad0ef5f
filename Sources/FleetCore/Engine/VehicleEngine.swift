/// Runs one vehicle's detectors: readings enter through the reorder window and reach the
/// ordered detectors in device time; clock skew is judged on arrival.
public enum VehicleEngine {
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
        for a in state.clock.feed(r, arrivalMs: arrivalMs) { out.append(.anomaly(a)) }
        var r = r
        if state.clock.isAhead(r, arrivalMs: arrivalMs) {
            // Its time is wrong, its values are not. Left at its own time it would make every correct
            // reading after it look late; dropped, a theft or rollback during the skew would go unseen.
            // Placed at its time less the clock's offset, detection goes on through the incident.
            r.ts -= state.clock.offsetMs
        }
        switch state.reorder.insert(r, arrivalMs: arrivalMs) {
        case .accepted: return .accepted
        case .duplicate: return .duplicate
        case .late: return .late
        }
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
