/// `clock_skew`: a unit whose device time runs ahead of true time, one flag per incident, and where
/// its readings belong meanwhile.
///
/// Two kinds of evidence, so that a live stream, a backlog and a fast replay give the same result:
/// - **receipt**: a reading stamped more than `skewMs` ahead of its receipt. Decisive, but only for
///   readings that arrive live; receipt time says nothing about a backlog or a replay.
/// - **the unit's own stream** (`ReportCadence`): the clock skipping minutes to hours across one
///   step of `seq` (a *stall*). With the ignition on and no more road covered than one step allows,
///   it is a skew at once (not a 2-hour trip in zero kilometres); with the road the skipped time
///   explains, it is time that passed with readings lost. Parked, a unit asleep looks the
///   same, so the readings after the stall are held (placed at their corrected time, not fed to the
///   detectors) until the clock goes back on a channel that jumped (a skew: its incident is
///   flagged, the held readings go on at their corrected time), receipt vouches for the readings'
///   times for five minutes, or `maxHoldMs` of device time or `maxHoldIdleMs` of silence passes
///   (it was real time: the held readings go back to their own time).
///
/// During an incident readings are placed at their time less the clock's offset: left at their own
/// time they would make every correct reading after them look late; dropped, a refuel, theft or
/// rollback during the incident would go unseen.
public struct ClockWatch: Sendable, Equatable, Codable {
    /// Ahead by more than this is a skewed clock (GPS-synchronised units are within seconds).
    public static let skewMs: Int64 = 5 * 60_000
    /// Back within this of receipt, the incident is over.
    public static let recoveredMs: Int64 = 60_000
    /// A suspected stall waits this long (device time) for the clock to jump back; longer, it is
    /// taken as time that really passed.
    public static let maxHoldMs: Int64 = 12 * 3_600_000
    /// ... holds at most this many readings (bounded memory), and is given up after this long
    /// without a reading from the unit (receiving time).
    public static let maxHeld = 5_000
    public static let maxHoldIdleMs: Int64 = 3_600_000

    struct Incident: Sendable, Equatable, Codable {
        /// Raw device time of its first reading.
        var fromTs: Int64
        /// What readings are moved back by.
        var offsetMs: Int64
        /// Flagged; false while a stall is only suspected and its readings are held.
        var confirmed: Bool
        /// Started by receipt time (the offset follows the largest lead over receipt).
        var byReceipt: Bool
        /// Channels (bits by `Channel.order`) that delivered a reading in the skewed frame.
        var jumped: UInt8 = 0
        /// Receipt time of the first of the readings since that receipt vouched for.
        var vouchedSinceMs: Int64?

        /// The stall was real time: its held readings, placed from its corrected start, go back.
        var undo: Hold { .undo(from: fromTs - offsetMs, shiftMs: offsetMs) }
    }

    var incident: Incident?
    var cadence = ReportCadence()

    /// What to do with a reading: where it goes in the timeline, what was flagged, and what happens
    /// to readings held for a suspected stall.
    public struct Verdict: Sendable, Equatable {
        public var ts: Int64
        public var anomalies: [Anomaly] = []
        public var hold: Hold = .none
    }

    public enum Hold: Sendable, Equatable {
        case none
        /// Hold readings placed at or after this time.
        case from(Int64)
        /// The stall was a skew: release the held readings where they are.
        case release
        /// The stall was real time: move held readings (at or after `from`) forward by `shiftMs`.
        case undo(from: Int64, shiftMs: Int64)
    }

    public init() {}

    /// Whether readings are held for a suspected stall.
    public var isHolding: Bool { incident.map { !$0.confirmed } ?? false }

    /// Judges `r`, received at `arrivalMs`, in arrival order; `held` is how many readings the
    /// vehicle's reorder window holds.
    public mutating func judge(_ r: Reading, arrivalMs: Int64, held: Int) -> Verdict {
        let ahead = r.ts - arrivalMs
        // Received within `skewMs` of its device time, a reading may have arrived live: receipt
        // can show a skew. Within `recoveredMs` either way, receipt vouches for its time (a
        // backlog's device times rarely land that close to their receipt by chance).
        let live = -ahead <= Self.skewMs
        let vouched = abs(ahead) <= Self.recoveredMs
        guard var inc = incident else {
            let expected = cadence.expectedTs(r)
            let stall = expected.map { r.ts - $0 } ?? 0
            if ahead > Self.skewMs {
                // Receipt shows the skew but only bounds it (a replayed or late reading was sampled
                // before it arrived); the unit's own cadence measures it when known.
                let offset = max(ahead, stall)
                incident = Incident(fromTs: r.ts, offsetMs: offset, confirmed: true, byReceipt: true, jumped: r.channel.bit)
                cadence.note(r, learn: false)
                return Verdict(ts: r.ts - offset, anomalies: [flag(r.vehicleID, at: r.ts, offsetMs: offset, evidence: "receipt", arrivalMs)])
            }
            if !live, let expected, stall > Self.skewMs {
                switch cadence.stall(to: r, expectedTs: expected) {
                case .timePassed:
                    break
                case .clockSkipped:
                    incident = Incident(fromTs: r.ts, offsetMs: stall, confirmed: true, byReceipt: false, jumped: r.channel.bit)
                    cadence.note(r, learn: false)
                    return Verdict(ts: expected, anomalies: [flag(r.vehicleID, at: r.ts, offsetMs: stall, evidence: "seq", nil)])
                case .unknown:
                    incident = Incident(fromTs: r.ts, offsetMs: stall, confirmed: false, byReceipt: false, jumped: r.channel.bit)
                    cadence.note(r, learn: false)
                    return Verdict(ts: expected, hold: .from(expected))
                }
            }
            cadence.note(r, learn: true)
            return Verdict(ts: r.ts)
        }
        var v = Verdict(ts: r.ts)
        if ahead > Self.skewMs {
            // Receipt confirms the clock is ahead.
            inc.vouchedSinceMs = nil
            if !inc.confirmed { v.anomalies.append(confirm(&inc, r.vehicleID)); v.hold = .release }
            // Live, the least transport delay gives the offset; a lead growing by more than that is a
            // replay's receipt falling behind device time, which says nothing about the clock.
            if inc.byReceipt && ahead > inc.offsetMs && ahead - inc.offsetMs < Self.recoveredMs { inc.offsetMs = ahead }
            return skewed(r, &inc, v)
        }
        let channelJumped = inc.jumped & r.channel.bit != 0
        if channelJumped, let last = cadence.last(r.channel), r.ts < last {
            // The clock went back on a channel that had jumped ahead: corrected, the incident is over.
            // (A report earlier than the period, on an ignition change, is no such proof.)
            if !inc.confirmed { v.anomalies.append(confirm(&inc, r.vehicleID)); v.hold = .release }
            incident = nil
            cadence.note(r, learn: false)
            return v
        }
        if vouched {
            // Receipt vouches for this reading's time. Once is chance (a backlog's device times
            // sweeping past their receipt); readings on time for `skewMs` of receipt mean the clock is
            // right (again), and a suspected stall was time that passed.
            let since = inc.vouchedSinceMs ?? arrivalMs
            if arrivalMs - since >= Self.skewMs {
                if !inc.confirmed { v.hold = inc.undo }
                incident = nil
                cadence.note(r, learn: true)
                return v
            }
            inc.vouchedSinceMs = since
        } else {
            inc.vouchedSinceMs = nil
        }
        if !inc.confirmed && (r.ts - inc.fromTs > Self.maxHoldMs || held >= Self.maxHeld) {
            v.hold = inc.undo
            incident = nil
            cadence.note(r, learn: false)
            return v
        }
        if !channelJumped, let last = cadence.last(r.channel), r.ts < last + inc.offsetMs / 2 {
            // Sampled before the clock jumped, arriving after a reading that did: its own time.
            incident = inc
            cadence.note(r, learn: true)
            return v
        }
        return skewed(r, &inc, v)
    }

    /// The end of a finite stream with a stall still undecided: taken at its word, as after `maxHoldMs`.
    public mutating func abandonHold() -> Hold {
        guard let inc = incident, !inc.confirmed else { return .none }
        incident = nil
        return inc.undo
    }

    private mutating func skewed(_ r: Reading, _ inc: inout Incident, _ verdict: Verdict) -> Verdict {
        var v = verdict
        v.ts = r.ts - inc.offsetMs
        // The first reading of a channel in the skewed frame is a step across the jump: not learned.
        cadence.note(r, learn: inc.jumped & r.channel.bit != 0)
        inc.jumped |= r.channel.bit
        incident = inc
        return v
    }

    private func confirm(_ inc: inout Incident, _ vehicleID: String) -> Anomaly {
        inc.confirmed = true
        return flag(vehicleID, at: inc.fromTs, offsetMs: inc.offsetMs, evidence: "seq", nil)
    }

    private func flag(_ vehicleID: String, at ts: Int64, offsetMs: Int64, evidence: String, _ arrivalMs: Int64?) -> Anomaly {
        var details: [String: DetailValue] = ["ahead_seconds": .number(Double(offsetMs) / 1000), "evidence": .text(evidence)]
        if let arrivalMs { details["received_at_ms"] = .number(Double(arrivalMs)) }
        return Anomaly(vehicleID: vehicleID, kind: .clockSkew, ts: ts, severity: .warning, value: Double(offsetMs) / 1000,
                       expected: 0, details: details)
    }
}

extension Channel {
    var bit: UInt8 { 1 << UInt8(order) }
}
