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
    /// The vehicle's ignition and odometer as last reported (any channel).
    var ignitionOn: Bool?
    var odometerKm: Double?

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
        let period = periodMs[c][ignitionOn == true ? 1 : 0]
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
                let i = ignitionOn == true ? 1 : 0
                // A slow average: one odd step (a report on an ignition change) barely moves it.
                periodMs[c][i] = periodMs[c][i] == 0 ? step : (periodMs[c][i] * 7 + step) / 8
            }
        }
        lastTs[c] = r.ts
        lastSeq[c] = r.seq ?? Self.none
        if let on = r.ignition { ignitionOn = on }
        if let km = r.odometerKm { odometerKm = km }
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
        return ignitionOn == true && r.ignition != false ? .clockSkipped : .unknown
    }
}
