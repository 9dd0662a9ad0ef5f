/// Runs one vehicle's detectors: readings enter through the reorder window and reach the
/// ordered detectors in device time; clock skew is judged on arrival.
public enum VehicleEngine {
    /// Offers a reading that arrived at `arrivalMs`; `.late` ones are stored but not detected on.
    public static func accept(_ r: Reading, arrivalMs: Int64, state: inout VehicleState) -> (ReorderBuffer.Outcome, [Anomaly]) {
        let outcome = state.reorder.insert(r, arrivalMs: arrivalMs)
        guard outcome == .accepted else { return (outcome, []) }
        return (outcome, state.clock.feed(r, arrivalMs: arrivalMs))
    }

    /// Feeds what the reorder window releases at `nowMs` (the receiving clock) to the detectors.
    public static func advance(nowMs: Int64, state: inout VehicleState) -> [Anomaly] {
        var out: [Anomaly] = []
        for r in state.reorder.release(nowMs: nowMs) {
            out += state.position.feed(r)
            out += state.odometer.feed(r)
        }
        return out
    }
}
