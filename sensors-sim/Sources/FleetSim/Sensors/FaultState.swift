/// Faults a unit can suffer; scheduled per vehicle-day from the scenario's rates.
enum FaultKind: CaseIterable {
    case dropout, stuck, outOfRange, odometerRollback, odometerReset, odometerJump
    case gpsJump, gpsInvalid, clockSkew, offline

    func rate(_ r: FaultRates) -> Double {
        switch self {
        case .dropout: r.fuelDropout
        case .stuck: r.fuelStuck
        case .outOfRange: r.fuelOutOfRange
        case .odometerRollback: r.odometerRollback
        case .odometerReset: r.odometerReset
        case .odometerJump: r.odometerJump
        case .gpsJump: r.gpsJump
        case .gpsInvalid: r.gpsInvalid
        case .clockSkew: r.clockSkew
        case .offline: r.offline
        }
    }

    /// Faults that only make sense on the road are placed inside working hours.
    var duringShift: Bool { self == .stuck || self == .odometerJump }
}

/// A fault that lasts a while; recorded in the truth only if the stream shows it.
struct FaultEpisode {
    var start: Int64
    var until: Int64
    var samples = 0
    /// True odometer when it began, to tell how far the vehicle drove meanwhile.
    var startKm = 0.0
}

struct FaultState {
    var scheduled: [(time: Int64, kind: FaultKind)] = []
    var cursor = 0
    var lastDay = -1

    var stuck: FaultEpisode?
    var dropout: FaultEpisode?
    /// A unit that reads 0 with the ignition off: start of the current off period, and zeros sent.
    var zeroStart: Int64?
    var zeroSamples = 0
    var outOfRangePending = 0
    /// The last fuel sample was out of range: the next one continues that incident's truth event.
    var outOfRangeOpen = false
    var odoPending: FaultKind?
    var odoOffset = 0.0
    var gpsPending: FaultKind?
    var skewUntil: Int64 = 0
    var skewMs: Int64 = 0
    var skewTruth: Int?
    var offlineUntil: Int64 = 0
    var offlineTruth: Int?

    /// The next moment a parked vehicle must wake for a fault.
    func nextTime() -> Int64 {
        var n = cursor < scheduled.count ? scheduled[cursor].time : Int64.max
        if let s = stuck { n = min(n, s.until) }
        if let d = dropout { n = min(n, d.until) }
        if offlineUntil > 0 { n = min(n, offlineUntil) }
        return n
    }
}
