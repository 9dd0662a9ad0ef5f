import FleetCore

/// One vehicle's readings as PostgreSQL would hold them, in device-time order, for the questions a
/// purchase check asks: fuel readings around a time, the level's scatter after a fill, the GPS fix
/// nearest a time. What fleetd's reconciler reads with SQL, read here without I/O.
public struct VehicleTrack: Sendable {
    /// (ts, litres) of each fuel reading.
    public private(set) var fuel: [(ts: Int64, litres: Double)] = []
    public private(set) var fixes: [PurchaseCheck.Fix] = []

    public init(_ readings: [Reading], tankL: Double) {
        for r in readings {
            if let l = r.fuelL ?? r.fuelPct.map({ $0 / 100 * tankL }) { fuel.append((r.ts, l)) }
            if let lat = r.lat, let lon = r.lon { fixes.append(PurchaseCheck.Fix(ms: r.ts, lat: lat, lon: lon)) }
        }
        fuel.sort { $0.ts < $1.ts }
        fixes.sort { $0.ms < $1.ms }
    }

    public var latestFuelMs: Int64? { fuel.last?.ts }

    /// The last fuel reading at or before `ms` and the first at or after it.
    public func fuelAround(_ ms: Int64) -> (before: Int64?, after: Int64?) {
        let i = Self.firstIndex(fuel.count) { fuel[$0].ts > ms }
        let j = Self.firstIndex(fuel.count) { fuel[$0].ts >= ms }
        return (i > 0 ? fuel[i - 1].ts : nil, j < fuel.count ? fuel[j].ts : nil)
    }

    /// The probe's scatter at rest after a fill (`PurchaseCheck.levelSigma`), from the readings in
    /// (from, from + 10 min].
    public func levelSigma(after from: Int64) -> Double? {
        let i = Self.firstIndex(fuel.count) { fuel[$0].ts > from }
        return PurchaseCheck.levelSigma(fuel[i...].prefix { $0.ts <= from + 10 * 60_000 }.map(\.litres))
    }

    /// The fix nearest `ms` within `within`.
    public func fix(near ms: Int64, within: Int64) -> PurchaseCheck.Fix? {
        fixes(around: ms, within: within).min { abs($0.ms - ms) < abs($1.ms - ms) }
    }

    /// The fixes within `within` of `ms`, in time order.
    public func fixes(around ms: Int64, within: Int64) -> ArraySlice<PurchaseCheck.Fix> {
        let i = Self.firstIndex(fixes.count) { fixes[$0].ms >= ms - within }
        let j = Self.firstIndex(fixes.count) { fixes[$0].ms > ms + within }
        return fixes[i..<max(i, j)]
    }

    private static func firstIndex(_ count: Int, where predicate: (Int) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if predicate(mid) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
