/// The latest known motion facts of a vehicle, merged from every channel.
///
/// Fuel readings alone cannot tell parked from driving; speed, ignition and odometer from the same
/// or another channel can. Only the newest values are kept.
public struct MotionState: Sendable, Equatable, Codable {
    public var speedKmh: Double?
    public var ignition: Bool?
    public var odometerKm: Double?
    public var lat: Double?
    public var lon: Double?
    /// Last device time the vehicle was seen moving, and last time a report said it stood still.
    public var lastMovingTs: Int64?
    public var lastStillTs: Int64?
    /// Distance driven, summed from plausible odometer increments (rollbacks and jumps are not driving).
    public var distanceKm = 0.0
    var odometerTs: Int64?
    /// Device time of the newest fix.
    var fixTs: Int64?

    public init() {}

    /// Faster than any road vehicle: an odometer step above this is a fault, not distance.
    static let maxKmh = 200.0

    /// An odometer step this short that cannot be distance (a jump, a rollback) still covered road: the
    /// speed says how much. Over a longer one the vehicle may have stopped, and nothing is credited.
    static let creditSpeedWithinMs: Int64 = 5 * 60_000

    public mutating func update(_ r: Reading, stationaryBelowKmh: Double) {
        let speedBefore = speedKmh
        if let i = r.ignition { ignition = i }
        if let s = r.speedKmh {
            speedKmh = s
            if s > stationaryBelowKmh && ignition != false {
                lastMovingTs = max(lastMovingTs ?? r.ts, r.ts)
            } else {
                lastStillTs = max(lastStillTs ?? r.ts, r.ts)
            }
        } else if r.ignition == false {
            lastStillTs = max(lastStillTs ?? r.ts, r.ts)
        }
        if let la = r.lat, let lo = r.lon, !r.flags.contains(.invalidFix) {
            lat = la
            lon = lo
            fixTs = r.ts
        }
        if let o = r.odometerKm {
            if let prev = odometerKm, let pt = odometerTs {
                let d = o - prev
                let hours = Double(max(r.ts - pt, 0)) / 3_600_000
                if d > 0 && d <= Self.maxKmh * hours + 0.5 {
                    distanceKm += d
                    // Distance covered is motion even when the speed source is slow to report it.
                    if d > 0.02 && ignition != false { lastMovingTs = max(lastMovingTs ?? r.ts, r.ts) }
                } else if d != 0, r.ts - pt <= Self.creditSpeedWithinMs, let v0 = speedBefore ?? speedKmh, let v1 = speedKmh ?? speedBefore {
                    // The faulty step hides the road driven meanwhile; without it a maintenance mark
                    // crossed later by that much (0.4 km after one jump: an alert 7 minutes late).
                    distanceKm += min((v0 + v1) / 2, Self.maxKmh) * hours
                }
            }
            odometerKm = o
            odometerTs = r.ts
        }
    }

    /// The newest fix, if any.
    var fix: PositionWatch.Fix? {
        guard let lat, let lon, let fixTs else { return nil }
        return PositionWatch.Fix(ts: fixTs, lat: lat, lon: lon)
    }

    /// Standing still long enough for the fuel surface to be flat.
    public func isSettled(at ts: Int64, _ t: FuelThresholds) -> Bool {
        if ignition == false { return (lastMovingTs.map { ts - $0 >= t.settleAfterMotionMs } ?? true) }
        if let s = speedKmh, s > t.stationarySpeedKmh { return false }
        guard let m = lastMovingTs else { return speedKmh != nil }
        return ts - m >= t.settleAfterMotionMs
    }
}
