/// `odometer_gps_mismatch`: the odometer's distance against the GPS track's over long stretches,
/// one flag per incident (an incident ends when a stretch agrees again).
///
/// Odometer and GPS readings may come on separate channels; each stretch starts from the first
/// reading of each series after a restart, so its two ends are at most one report apart.
public struct OdometerGPSWatch: Sendable, Equatable, Codable {
    /// Shorter stretches are dominated by fix noise and report timing.
    public static let stretchKm = 20.0
    public static let toleranceKm = 2.0
    public static let toleranceFraction = 0.15
    /// Fixes closer than this to the last counted one are not a step yet: summing every
    /// 1 Hz fix adds the receiver's jitter (metres per fix) and would inflate the track by tens of
    /// percent at town speeds, or invent kilometres while parked.
    public static let minStepKm = 0.1
    /// Fixes farther apart break the stretch: a straight line between sparse fixes cuts every
    /// bend, so a curvy road would look shorter than the odometer says.
    public static let maxStepKm = 2.0
    public static let maxPlausibleKmh = PositionWatch.maxPlausibleKmh
    /// The odometer's own flags cover rollbacks and jumps; here they only restart the stretch.
    public static let odometerMaxKmh = OdometerWatch.maxPlausibleKmh
    /// Advances below this are never judged by speed: quantisation of a report a second.
    public static let odometerJitterKm = OdometerWatch.rollbackToleranceKm
    /// The two series must be this close in time when a stretch is judged: 15 s at highway
    /// speed is about half a kilometre, well inside the tolerance.
    public static let maxSkewMs: Int64 = 15_000

    struct Point: Sendable, Equatable, Codable {
        var ts: Int64
        var km: Double
    }

    /// Last odometer reading, and the one the stretch started from.
    var lastOdo: Point?
    var odoBase: Point?
    /// Last fix counted into the track (or the stretch's first).
    var anchor: PositionWatch.Fix?
    var gpsKm = 0.0
    var fromTs: Int64?
    /// A mismatch was flagged and no stretch has agreed since.
    var inIncident = false

    public init() {}

    public mutating func feed(_ r: Reading) -> [Anomaly] {
        var odometerBroke = false
        if let km = r.odometerKm {
            let point = Point(ts: r.ts, km: km)
            if let last = lastOdo, r.ts > last.ts {
                odometerBroke = Self.broken(from: last, to: point)
            }
            if lastOdo.map({ r.ts > $0.ts }) ?? true { lastOdo = point }
        }
        var gpsBroke = false
        var fix: PositionWatch.Fix?
        if !r.flags.contains(.invalidFix), let lat = r.lat, let lon = r.lon {
            fix = PositionWatch.Fix(ts: r.ts, lat: lat, lon: lon)
        }
        if let fix, let from = anchor, fix.ts > from.ts {
            let km = PositionWatch.distanceKm(from, fix)
            let hours = Double(fix.ts - from.ts) / 3_600_000
            if km > Self.maxStepKm {
                gpsBroke = true
            } else if km >= Self.minStepKm && km / hours <= Self.maxPlausibleKmh {
                gpsKm += km
                anchor = fix
            }
            // An implausible short step is skipped: the anchor stays on the last good fix.
        }
        if odometerBroke || gpsBroke {
            restart(r, fix: fix)
            return []
        }
        // A series' first reading after a restart starts its side of the stretch.
        if odoBase == nil, let km = r.odometerKm { odoBase = Point(ts: r.ts, km: km); fromTs = fromTs ?? r.ts }
        if anchor == nil, let fix { anchor = fix; gpsKm = 0; fromTs = fromTs ?? r.ts }
        return judge(r)
    }

    mutating func restart(_ r: Reading, fix: PositionWatch.Fix?) {
        odoBase = r.odometerKm.map { Point(ts: r.ts, km: $0) }
        anchor = fix
        gpsKm = 0
        fromTs = r.ts
    }

    /// Backward, or faster than a vehicle: not distance driven.
    static func broken(from a: Point, to b: Point) -> Bool {
        let advance = b.km - a.km
        if advance < -odometerJitterKm { return true }
        let hours = Double(b.ts - a.ts) / 3_600_000
        return advance > odometerJitterKm && advance / hours > odometerMaxKmh
    }

    mutating func judge(_ r: Reading) -> [Anomaly] {
        guard gpsKm >= Self.stretchKm, let base = odoBase, let odo = lastOdo, let fix = anchor, let from = fromTs
        else { return [] }
        let odoKm = odo.km - base.km
        // Wait until both series have moved on and are reported near the same time.
        guard odoKm > 0, abs(odo.ts - fix.ts) <= Self.maxSkewMs else { return [] }
        let gps = gpsKm
        let agrees = abs(odoKm - gps) <= max(Self.toleranceKm, Self.toleranceFraction * gps)
        odoBase = odo
        gpsKm = 0
        fromTs = r.ts
        if agrees {
            inIncident = false
            return []
        }
        guard !inIncident else { return [] }
        inIncident = true
        return [Anomaly(vehicleID: r.vehicleID, kind: .odometerGPSMismatch, ts: r.ts, severity: .info, value: odoKm, expected: gps,
                        details: ["odometer_km": .number(odoKm), "gps_km": .number(gps), "ratio": .number(odoKm / gps),
                                  "from_ts": .number(Double(from))])]
    }
}
