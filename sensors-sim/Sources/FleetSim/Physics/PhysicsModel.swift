/// The world fleet-sim simulates. Detection is judged against more than one, so that nothing in
/// fleetd is tuned to one model's numbers.
public enum PhysicsModel: String, CaseIterable, Sendable {
    /// Flat roads; a box-shaped tank whose probe reads volume with a unit-specific gain and bow;
    /// consumption by speed and acceleration; fuel that expands with the day's temperature.
    case standard
    /// Hills, horizontal cylinder tanks read through a tank table, and capacitive probes:
    /// - the road's grade changes consumption (climbing costs more than descending saves) and tilts the
    ///   fuel surface, so a vehicle parked on a slope reads off by up to a few % of the tank, differently
    ///   at every stop (filling stations are level);
    /// - the unit converts the probe's height to volume by interpolating nine calibration points (a
    ///   tank table taken in eighths of its height), so readings between them are off by up to ~1 % of
    ///   the tank, most near empty and full;
    /// - the probe's dielectric drifts with its own temperature, which engine heat raises by up to 15 °C
    ///   over a drive and which falls back over the next hour parked;
    /// - trucks pull a trailer on some legs (a third more fuel), and an engine started cold after hours
    ///   off burns more for its first ten minutes.
    case hillyCapacitive = "hilly-capacitive"

    /// Calibration points of the tank table: every eighth of the height.
    static let tablePoints = 8

    /// Fraction of a horizontal cylinder's volume below height fraction `h` (0…1).
    static func cylinderVolume(height h: Double) -> Double {
        let x = min(max(h, 0), 1)
        let c = 1 - 2 * x
        let theta = 2 * _atan2((1 - c * c).squareRoot(), c)  // 2 acos(1 − 2h)
        return (theta - _sin(theta)) / (2 * Double.pi)
    }

    /// Height fraction at which a horizontal cylinder holds volume fraction `v` (bisection: monotone).
    static func cylinderHeight(volume v: Double) -> Double {
        var lo = 0.0, hi = 1.0
        let target = min(max(v, 0), 1)
        for _ in 0..<30 {
            let mid = (lo + hi) / 2
            if cylinderVolume(height: mid) < target { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// What a unit calibrated at `tablePoints` + 1 heights reports as the volume fraction for a true one:
    /// the exact curve at the points, straight lines between them.
    static func tankTableReading(volume v: Double) -> Double {
        let h = cylinderHeight(volume: v)
        let n = Double(tablePoints)
        let i = min(Int(h * n), tablePoints - 1)
        let h0 = Double(i) / n, h1 = Double(i + 1) / n
        let v0 = cylinderVolume(height: h0), v1 = cylinderVolume(height: h1)
        return v0 + (v1 - v0) * (h - h0) / (h1 - h0)
    }
}
