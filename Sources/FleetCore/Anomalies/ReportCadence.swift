/// How often a unit reports on each channel, learned from its own stream: the evidence that tells a
/// clock jumping ahead from time really passing when receipt time says nothing (a backlog, a replay).
///
/// A unit samples each channel at a steady period, shorter with the ignition on, and numbers its
/// readings with `seq`. Its device time running minutes to hours ahead across one step of `seq`
/// is then a *stall*: the clock moved, the unit did not report in between, as it would have if that
/// time had passed.
public struct ReportCadence: Sendable, Equatable, Codable {
    /// Per channel (by `Channel.order`): the last reading's device time and `seq` in arrival order;
    /// `none` when not known (no optionals in lists: snapshots store them flat).
    var lastTs: [Int64] = [none, none, none, none]
    var lastSeq: [Int64] = [none, none, none, none]
    static let none = Int64.min
    /// Learned period per step of `seq`, per channel, with the ignition off [0] and on [1]; 0 = not yet.
    var periodMs: [[Int64]] = Array(repeating: [0, 0], count: 4)
    /// The vehicle's odometer as last reported (any channel).
    var odometerKm: Double?
    /// Recent ignition changes by device time (`ts * 2 + on`), oldest first: a backlog arrives
    /// channel by channel, so the ignition of another channel's reading is looked up at its time,
    /// not taken from whatever arrived last.
    var ignitionLog: [Int64] = []
    static let ignitionLogCapacity = 16

    /// Steps of `seq` longer than this are not learned from: the unit was asleep or lost readings.
    static let maxLearnedPeriodMs: Int64 = 30 * 60_000
    /// More steps than this between two readings: readings were lost, their times say nothing.
    static let maxSteps: Int64 = 4

    public init() {}

    /// The expected device time of `r` from its channel's last reading and period; nil when unknown.
    func expectedTs(_ r: Reading) -> Int64? {
        let c = r.channel.order
        let ts = lastTs[c], seq = lastSeq[c]
        guard ts != Self.none, seq != Self.none, let s = r.seq else { return nil }
        let steps = s - seq
        let period = periodMs[c][ignition(at: ts) == true ? 1 : 0]
        guard steps >= 1, steps <= Self.maxSteps, period > 0 else { return nil }
        return ts + steps * period
    }

    /// Device time of the channel's last reading.
    func last(_ channel: Channel) -> Int64? { lastTs[channel.order] == Self.none ? nil : lastTs[channel.order] }

    /// Notes `r` (its raw device time) after it was judged; learns the period from ordinary steps.
    mutating func note(_ r: Reading, learn: Bool) {
        let c = r.channel.order
        let ts = lastTs[c], seq = lastSeq[c]
        if learn, ts != Self.none, seq != Self.none, let s = r.seq, s > seq, s - seq <= Self.maxSteps {
            let step = (r.ts - ts) / (s - seq)
            if step > 0 && step <= Self.maxLearnedPeriodMs {
                let i = ignition(at: ts) == true ? 1 : 0
                // The unit's regular period: a longer step is taken at once, a shorter one (a report
                // on an ignition change, ahead of the period) only lowers it slowly.
                periodMs[c][i] = step >= periodMs[c][i] ? step : (periodMs[c][i] * 7 + step) / 8
            }
        }
        lastTs[c] = r.ts
        lastSeq[c] = r.seq ?? Self.none
        if let on = r.ignition, ignition(at: r.ts) != on {
            // Changes only, in device-time order; a later report at the same time wins.
            let entry = r.ts &* 2 &+ (on ? 1 : 0)
            if let i = ignitionLog.lastIndex(where: { $0 / 2 <= r.ts }) {
                if ignitionLog[i] / 2 == r.ts { ignitionLog[i] = entry } else { ignitionLog.insert(entry, at: i + 1) }
            } else {
                ignitionLog.insert(entry, at: 0)
            }
            if ignitionLog.count > Self.ignitionLogCapacity { ignitionLog.removeFirst() }
        }
        if let km = r.odometerKm { odometerKm = km }
    }

    /// The ignition as reported at or before device time `ts`; nil when none is known that early.
    func ignition(at ts: Int64) -> Bool? {
        guard let first = ignitionLog.first, first / 2 <= ts else { return nil }
        let i = ignitionLog.lastIndex { $0 / 2 <= ts }!
        return ignitionLog[i] & 1 == 1
    }

    /// What the vehicle did across a stall ending at `r` (expected at `expectedTs`).
    enum Stall {
        /// Running on both sides and no more road covered than one report step allows: a unit that
        /// reports every few seconds while running was not silent for the time its clock skipped.
        case clockSkipped
        /// It covered road that only the skipped time explains: the time passed, readings were lost.
        case timePassed
        /// Parked, or nothing to tell by: a unit asleep looks the same as a clock that skipped.
        case unknown
    }

    func stall(to r: Reading, expectedTs: Int64) -> Stall {
        guard let last = last(r.channel) else { return .unknown }
        if let km = r.odometerKm, let before = odometerKm {
            let stepHours = Double(expectedTs - last + 60_000) / 3_600_000
            if km - before > OdometerWatch.maxPlausibleKmh * stepHours { return .timePassed }
        }
        return ignition(at: last) == true && r.ignition != false ? .clockSkipped : .unknown
    }
}
