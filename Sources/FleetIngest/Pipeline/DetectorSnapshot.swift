/// Detector state as of a spool position: replaying the spool from `position` on top of these
/// states rebuilds exactly the detectors that ran. Only vehicles changed since the previous
/// snapshot are written; the others' stored rows are still current.
struct DetectorSnapshot {
    var position: UInt64
    var clockMs: Int64
    /// Vehicle id and its `VehicleState` in binary form (`BinaryState`).
    var states: [(vehicleID: String, bytes: [UInt8])]
}

/// The receiving clock advanced to `clockMs` with the stream idle, after the records before `position`.
struct DetectorTick: Equatable {
    var position: UInt64
    var clockMs: Int64
}
