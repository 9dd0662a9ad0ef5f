import Dispatch

/// Monotonic wall time for pacing and rates (the simulation core never reads it).
public struct PacingClock: Sendable {
    public let startNs: UInt64

    public init() { startNs = DispatchTime.now().uptimeNanoseconds }

    public var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - startNs) / 1e9 }

    /// Sleeps until `seconds` after the start (no-op when already past).
    public func sleep(until seconds: Double) {
        let wait = seconds - elapsed
        if wait > 0.0005 { sleepMicroseconds(UInt32(min(wait, 1) * 1e6)) }
    }
}
