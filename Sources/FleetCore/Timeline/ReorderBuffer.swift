/// One vehicle's readings held back for the reorder window and released in device-time order,
/// so detectors see the stream as if it had arrived in order and exactly once.
///
/// Lateness is measured in the vehicle's own device time: a unit replaying a backlog newer than
/// anything released for it is in order, however old it is by the wall clock. A reading is
/// released once a newer one of the same vehicle is `window` ahead of it, or once it has waited
/// `window` since it arrived (a vehicle that went quiet must not hold its last readings forever).
public struct ReorderBuffer: Sendable, Equatable, Codable {
    public enum Outcome: Sendable, Equatable {
        /// Held until its turn.
        case accepted
        /// The same (channel, ts) was already accepted: ignored.
        case duplicate
        /// Older than what was already released: store it, but do not feed it to detectors.
        case late
    }

    struct Pending: Sendable, Equatable, Codable {
        var reading: Reading
        var arrivalMs: Int64
    }

    public let windowMs: Int64
    /// Hard bound on held readings; beyond it the oldest is released early (bounded memory).
    public let capacity: Int
    private(set) var pending: [Pending] = []
    /// Device time of the last released reading, and the channels released at exactly that time.
    public private(set) var releasedThrough: Int64?
    private(set) var channelsAtReleasedThrough: [Channel] = []
    private(set) var newestTs: Int64 = .min

    public init(windowMs: Int64, capacity: Int = 10_000) {
        precondition(windowMs >= 0 && capacity > 0)
        self.windowMs = windowMs
        self.capacity = capacity
    }

    public var heldCount: Int { pending.count }

    /// Offers a reading that arrived at `arrivalMs` (the receiving clock, passed in).
    public mutating func insert(_ reading: Reading, arrivalMs: Int64) -> Outcome {
        if let through = releasedThrough {
            if reading.ts < through { return .late }
            if reading.ts == through && channelsAtReleasedThrough.contains(reading.channel) { return .duplicate }
        }
        let index = insertionIndex(reading.ts, reading.channel)
        if index < pending.count, pending[index].reading.ts == reading.ts, pending[index].reading.channel == reading.channel {
            return .duplicate
        }
        pending.insert(Pending(reading: reading, arrivalMs: arrivalMs), at: index)
        newestTs = max(newestTs, reading.ts)
        return .accepted
    }

    /// Releases, in device-time order, what is due at `nowMs`.
    public mutating func release(nowMs: Int64) -> [Reading] {
        var out: [Reading] = []
        var count = 0
        while count < pending.count {
            let p = pending[count]
            let overfull = pending.count - count > capacity
            guard overfull || p.reading.ts <= newestTs - windowMs || p.arrivalMs <= nowMs - windowMs else { break }
            out.append(p.reading)
            count += 1
        }
        if count > 0 {
            pending.removeFirst(count)
            noteReleased(out)
        }
        return out
    }

    /// Releases everything held, in order (shutdown, or tests with a known end).
    public mutating func flush() -> [Reading] {
        let out = pending.map(\.reading)
        pending.removeAll()
        noteReleased(out)
        return out
    }

    private mutating func noteReleased(_ released: [Reading]) {
        guard let last = released.last else { return }
        if last.ts != releasedThrough { channelsAtReleasedThrough.removeAll() }
        releasedThrough = last.ts
        for r in released.reversed() {
            guard r.ts == last.ts else { break }
            if !channelsAtReleasedThrough.contains(r.channel) { channelsAtReleasedThrough.append(r.channel) }
        }
    }

    /// Position keeping `pending` sorted by (ts, channel).
    private func insertionIndex(_ ts: Int64, _ channel: Channel) -> Int {
        var lo = 0
        var hi = pending.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let m = pending[mid].reading
            if m.ts < ts || (m.ts == ts && m.channel.order < channel.order) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

extension Channel {
    /// A fixed order for readings of one vehicle at the same device time.
    var order: Int {
        switch self {
        case .telemetry: 0
        case .fuel: 1
        case .odometer: 2
        case .gps: 3
        }
    }
}
