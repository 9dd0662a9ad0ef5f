import FleetCore
import Foundation

/// Runs every vehicle's detectors over a batch. Works on copies of the vehicle states and keeps
/// them only once the batch has committed, so a failed write is retried from the same state
/// and derives the same events (exactly once with the checkpoint).
struct DetectionStage {
    struct Result {
        var anomalies: [Anomaly] = []
        /// New states of every vehicle the batch touched, to persist with it.
        var states: [String: VehicleState] = [:]
        var late = 0
    }

    let windowMs: Int64
    /// States as of the last committed batch.
    private(set) var committed: [String: VehicleState] = [:]
    /// Vehicles holding readings in their reorder window (released by arrival time later).
    private var holding: Set<String> = []

    init(window: Duration) {
        windowMs = window.components.seconds * 1000 + window.components.attoseconds / 1_000_000_000_000_000
    }

    /// Vehicles of the batch whose state is not in memory yet (to load from PostgreSQL).
    func unknownVehicles(in batch: IngestBatch) -> Set<String> {
        var out = Set<String>()
        for r in batch.decoded.readings where committed[r.vehicleID] == nil { out.insert(r.vehicleID) }
        return out
    }

    mutating func adopt(_ loaded: [String: VehicleState], for vehicles: Set<String>) {
        for v in vehicles where committed[v] == nil {
            committed[v] = loaded[v] ?? VehicleState(windowMs: windowMs)
        }
    }

    func run(_ batch: IngestBatch) -> Result {
        var result = Result()
        var nowMs: Int64 = .min
        let readings = batch.decoded.readings
        for i in readings.indices {
            let r = readings[i]
            let arrivalMs = batch.receivedAtNanos[i] / 1_000_000
            nowMs = max(nowMs, arrivalMs)
            var state = result.states[r.vehicleID] ?? committed[r.vehicleID] ?? VehicleState(windowMs: windowMs)
            let (outcome, anomalies) = VehicleEngine.accept(r, arrivalMs: arrivalMs, state: &state)
            if outcome == .late { result.late += 1 }
            result.anomalies += anomalies
            result.states[r.vehicleID] = state
        }
        guard nowMs != .min else { return result }
        for v in holding where result.states[v] == nil { result.states[v] = committed[v] }
        for v in Array(result.states.keys) {
            var state = result.states[v]!
            result.anomalies += VehicleEngine.advance(nowMs: nowMs, state: &state)
            result.states[v] = state
        }
        return result
    }

    /// The batch committed: its states become the memory.
    mutating func commit(_ result: Result) {
        for (v, state) in result.states {
            committed[v] = state
            if state.reorder.heldCount > 0 { holding.insert(v) } else { holding.remove(v) }
        }
    }
}
