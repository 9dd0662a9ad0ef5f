/// One vehicle's readings held back for the reorder window and released in device-time order,
/// so detectors see the stream as if it had arrived in order and exactly once.
///
/// Lateness is measured in the vehicle's own device time: a unit replaying a backlog newer than
/// anything released for it is in order, however old it is by the wall clock. A live reading is
/// released once a newer one of the same vehicle is `window` ahead of it, or once it has waited
/// `window` since it arrived (a vehicle that went quiet must not hold its last readings forever);
/// a backlog reading always waits `window` since it arrived, so backlogs of several channels merge.
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
    /// Held readings are `pending[head...]`, sorted by (ts, channel). Releasing advances `head`
    /// instead of shifting the array (a unit reporting every second keeps ~10 readings held, and
    /// shifting them on every release was the detectors' largest cost); dead slots are dropped
    /// in bulk now and then.
    private(set) var pending: [Pending] = []
    private var head = 0
    /// Device time of the last released reading, and the channels released at exactly that time.
    public private(set) var releasedThrough: Int64?
    private(set) var channelsAtReleasedThrough: [Channel] = []
    private(set) var newestTs: Int64 = .min
    /// Readings at or after this time wait for a suspected clock stall to be decided (ClockWatch),
    /// whatever the window or the capacity say.
    public private(set) var holdFrom: Int64?
    /// The last released readings' keys (ts and channel), so a redelivery of a reading already fed
    /// to the detectors counts as a duplicate, not as late. Redeliveries come soon after the
    /// original; a small ring is enough.
    private(set) var recent: [Int64] = []
    private var recentNext = 0
    static let recentCapacity = 16

    public init(windowMs: Int64, capacity: Int = 10_000) {
        precondition(windowMs >= 0 && capacity > 0)
        self.windowMs = windowMs
        self.capacity = capacity
    }

    public var heldCount: Int { pending.count - head }

    enum CodingKeys: String, CodingKey {
        case windowMs, capacity, pending, releasedThrough, channelsAtReleasedThrough, newestTs, recent, recentNext, holdFrom
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        windowMs = try c.decode(Int64.self, forKey: .windowMs)
        capacity = try c.decode(Int.self, forKey: .capacity)
        pending = Array(try c.decode(HeldReadings.self, forKey: .pending).items)
        releasedThrough = try c.decodeIfPresent(Int64.self, forKey: .releasedThrough)
        channelsAtReleasedThrough = try c.decode([Channel].self, forKey: .channelsAtReleasedThrough)
        newestTs = try c.decode(Int64.self, forKey: .newestTs)
        recent = try c.decode([Int64].self, forKey: .recent)
        recentNext = try c.decode(Int.self, forKey: .recentNext)
        holdFrom = try c.decodeIfPresent(Int64.self, forKey: .holdFrom)
    }

    /// Only the held readings are state; released slots are not written.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(windowMs, forKey: .windowMs)
        try c.encode(capacity, forKey: .capacity)
        try c.encode(HeldReadings(pending[head...]), forKey: .pending)
        try c.encodeIfPresent(releasedThrough, forKey: .releasedThrough)
        try c.encode(channelsAtReleasedThrough, forKey: .channelsAtReleasedThrough)
        try c.encode(newestTs, forKey: .newestTs)
        try c.encode(recent, forKey: .recent)
        try c.encode(recentNext, forKey: .recentNext)
        try c.encodeIfPresent(holdFrom, forKey: .holdFrom)
    }

    public static func == (a: ReorderBuffer, b: ReorderBuffer) -> Bool {
        a.windowMs == b.windowMs && a.capacity == b.capacity && a.pending[a.head...].elementsEqual(b.pending[b.head...])
            && a.releasedThrough == b.releasedThrough && a.channelsAtReleasedThrough == b.channelsAtReleasedThrough
            && a.newestTs == b.newestTs && a.recent == b.recent && a.recentNext == b.recentNext && a.holdFrom == b.holdFrom
    }

    /// Offers a reading that arrived at `arrivalMs` (the receiving clock, passed in).
    public mutating func insert(_ reading: Reading, arrivalMs: Int64) -> Outcome {
        if let through = releasedThrough {
            if reading.ts < through { return recent.contains(Self.key(reading)) ? .duplicate : .late }
            if reading.ts == through && channelsAtReleasedThrough.contains(reading.channel) { return .duplicate }
        }
        let index = insertionIndex(reading.ts, reading.channel)
        if index < pending.count, pending[index].reading.ts == reading.ts, pending[index].reading.channel == reading.channel {
            return .duplicate
        }
        if index == pending.count {
            pending.append(Pending(reading: reading, arrivalMs: arrivalMs))
        } else {
            pending.insert(Pending(reading: reading, arrivalMs: arrivalMs), at: index)
        }
        newestTs = max(newestTs, reading.ts)
        return .accepted
    }

    /// Releases, in device-time order, what is due at `nowMs`.
    public mutating func release(nowMs: Int64) -> [Reading] {
        var out: [Reading] = []
        release(nowMs: nowMs, into: &out)
        return out
    }

    /// Appends what is due at `nowMs` to `out` (a buffer the caller reuses).
    public mutating func release(nowMs: Int64, into out: inout [Reading]) {
        let from = out.count
        var i = head
        while i < pending.count {
            let p = pending[i]
            if let h = holdFrom, p.reading.ts >= h { break }
            let overfull = pending.count - i > capacity
            // A backlog (a reading already older than the window when it arrived) waits out the
            // window in receiving time: a unit's other channels replay their backlogs in messages
            // of their own, and released without them the fuel levels of a drive would look parked.
            let backlog = p.arrivalMs - p.reading.ts > windowMs
            let overtaken = !backlog && p.reading.ts <= newestTs - windowMs
            guard overfull || overtaken || p.arrivalMs <= nowMs - windowMs else { break }
            out.append(p.reading)
            i += 1
        }
        guard i > head else { return }
        head = i
        compact()
        noteReleased(out[from...])
    }

    /// From now on readings at or after `ts` are not released until `endHold` or `undoHold`.
    public mutating func hold(from ts: Int64) { holdFrom = ts }

    /// Held readings go on where they are.
    public mutating func endHold() { holdFrom = nil }

    /// How many held readings wait for the hold (none without one).
    public var heldForClock: Int {
        guard let h = holdFrom else { return 0 }
        var lo = head, hi = pending.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pending[mid].reading.ts < h { lo = mid + 1 } else { hi = mid }
        }
        return pending.count - lo
    }

    /// Held readings at or after `from` move forward by `shiftMs` (they were placed early) and go on.
    public mutating func undoHold(from: Int64, shiftMs: Int64) {
        holdFrom = nil
        for i in head..<pending.count where pending[i].reading.ts >= from {
            pending[i].reading.ts += shiftMs
        }
        newestTs = max(newestTs, (pending.last?.reading.ts) ?? .min)
    }

    /// Releases everything held, in order (shutdown, or tests with a known end).
    public mutating func flush() -> [Reading] {
        let out = pending[head...].map(\.reading)
        pending.removeAll()
        head = 0
        holdFrom = nil
        noteReleased(out[...])
        return out
    }

    private mutating func compact() {
        if head == pending.count {
            pending.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 32 && head * 2 >= pending.count {
            pending.removeFirst(head)
            head = 0
        }
    }

    private static func key(_ r: Reading) -> Int64 { r.ts &* 4 &+ Int64(r.channel.order) }

    private mutating func noteReleased(_ released: ArraySlice<Reading>) {
        for r in released.suffix(Self.recentCapacity) {
            if recent.count < Self.recentCapacity {
                recent.append(Self.key(r))
            } else {
                recent[recentNext] = Self.key(r)
                recentNext = (recentNext + 1) % Self.recentCapacity
            }
        }
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
        // In-order arrival, the common case: after the last. Judged on `newestTs` first, which every
        // held reading is at or before: the last held reading is usually out of cache by the time its
        // vehicle sends again (a tenth of the pipeline thread went to that load while draining 1,000
        // vehicles' backlog).
        if ts > newestTs { return pending.count }
        if let last = pending.last, pending.count > head,
           last.reading.ts < ts || (last.reading.ts == ts && last.reading.channel.order < channel.order) {
            return pending.count
        }
        var lo = head
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
    /// A fixed order for readings of one vehicle at the same device time. The level comes last: a
    /// unit reports every channel at once when the ignition changes, and a fuel level is judged by
    /// the ignition and motion of its moment, not of the report before.
    var order: Int {
        switch self {
        case .telemetry: 0
        case .odometer: 1
        case .gps: 2
        case .fuel: 3
        }
    }
}
