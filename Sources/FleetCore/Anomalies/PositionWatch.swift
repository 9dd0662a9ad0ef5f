import RealModule

/// `gps_invalid` and `gps_jump` from the position series, one flag per incident.
public struct PositionWatch: Sendable, Equatable, Codable {
    struct Fix: Sendable, Equatable, Codable {
        var ts: Int64
        var lat: Double
        var lon: Double
    }

    /// Faster than any road vehicle, with margin for fix error over short intervals.
    public static let maxPlausibleKmh = 300.0
    /// Fixes this close are never a jump, whatever the interval (receiver jitter).
    public static let jitterKm = 1.0

    var lastFix: Fix?
    var invalidRun = false
    /// The last good fix before a jump, while the receiver may come back to it.
    var jumpOrigin: Fix?

    public init() {}

    public mutating func feed(_ r: Reading) -> [Anomaly] {
        if r.flags.contains(.invalidFix) {
            guard !invalidRun else { return [] }
            invalidRun = true
            return [Anomaly(vehicleID: r.vehicleID, kind: .gpsInvalid, ts: r.ts, severity: .info, value: nil, expected: nil,
                            details: ["channel": .text(r.channel.rawValue), "reason": .text("no valid fix: 0,0, off the globe or a lone coordinate")])]
        }
        guard let lat = r.lat, let lon = r.lon else { return [] }
        invalidRun = false
        let fix = Fix(ts: r.ts, lat: lat, lon: lon)
        defer { lastFix = fix }
        guard let last = lastFix, fix.ts > last.ts else { return [] }
        if let origin = jumpOrigin {
            // Back near where it was before the jump: the same incident, ended.
            if Self.plausible(from: origin, to: fix) { jumpOrigin = nil }
            return []
        }
        guard !Self.plausible(from: last, to: fix) else { return [] }
        jumpOrigin = last
        let km = Self.distanceKm(last, fix)
        let hours = Double(fix.ts - last.ts) / 3_600_000
        return [Anomaly(vehicleID: r.vehicleID, kind: .gpsJump, ts: r.ts, severity: .warning, value: km / hours,
                        expected: Self.maxPlausibleKmh,
                        details: ["distance_km": .number(km), "seconds": .number(hours * 3600),
                                  "from_lat": .number(last.lat), "from_lon": .number(last.lon), "to_lat": .number(lat), "to_lon": .number(lon)])]
    }

    static func plausible(from a: Fix, to b: Fix) -> Bool {
        let km = distanceKm(a, b)
        if km <= jitterKm { return true }
        let hours = Double(b.ts - a.ts) / 3_600_000
        return hours > 0 && km / hours <= maxPlausibleKmh
    }

    /// Great-circle distance (haversine, mean Earth radius).
    static func distanceKm(_ a: Fix, _ b: Fix) -> Double {
        let rad = Double.pi / 180
        let dLat = (b.lat - a.lat) * rad
        let dLon = (b.lon - a.lon) * rad
        let h = Double.sin(dLat / 2) * Double.sin(dLat / 2)
            + Double.cos(a.lat * rad) * Double.cos(b.lat * rad) * Double.sin(dLon / 2) * Double.sin(dLon / 2)
        return 2 * 6371.0 * Double.asin(min(1, h.squareRoot()))
    }
}
