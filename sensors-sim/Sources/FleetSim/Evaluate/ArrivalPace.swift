/// When fleetd receives each message of a simulated run: receipt time is all the detection stage
/// knows of the wall clock, and its results must not depend on it.
public enum ArrivalPace: Sendable, Equatable, CustomStringConvertible {
    /// Received when published: a fleet reporting live.
    case live
    /// Everything received after the run has ended, at `messagesPerSecond`: fleetd catching up on
    /// a broker's queue after downtime, or a fleet's history imported in one go.
    case backlog(messagesPerSecond: Int)
    /// Published `speed` times faster than real time and received as published (`fleet-sim
    /// scenario --speed`), starting after the run's own end so device times lag receipt.
    case replay(speed: Double)

    /// Receipt time of the `index`-th message of a run from `startMs` to `endMs`, published at `publishMs`.
    func arrivalMs(publishMs: Int64, index: Int, startMs: Int64, endMs: Int64) -> Int64 {
        switch self {
        case .live:
            return publishMs
        case .backlog(let rate):
            return endMs + Self.afterEndMs + Int64(index) * 1000 / Int64(max(rate, 1))
        case .replay(let speed):
            return endMs + Self.afterEndMs + Int64(Double(publishMs - startMs) / max(speed, 1))
        }
    }

    /// A minute after the run: no device time of a correct clock is ahead of receipt.
    static let afterEndMs: Int64 = 60_000

    public var description: String {
        switch self {
        case .live: "live"
        case .backlog(let rate): "one backlog at \(rate) messages/s"
        case .replay(let speed): "replayed at \(speed.formatted())×"
        }
    }

    /// Parses `live`, `backlog[:RATE]` or `replay[:SPEED]`.
    public init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count == 2 ? parts[1] : nil) {
        case ("live", nil): self = .live
        case ("backlog", nil): self = .backlog(messagesPerSecond: 40_000)
        case ("backlog", let r?): guard let n = Int(r), n > 0 else { return nil }; self = .backlog(messagesPerSecond: n)
        case ("replay", nil): self = .replay(speed: 1_300)
        case ("replay", let s?): guard let x = Double(s), x >= 1 else { return nil }; self = .replay(speed: x)
        default: return nil
        }
    }
}

private extension Double {
    func formatted() -> String { self == rounded() ? String(Int(self)) : String(self) }
}
