import SeededRandom
/// The area the fleet drives in: a flat local frame in metres around a centre point.
///
/// Why flat: over ~100 km an equirectangular projection is off by far less than GPS noise.
public struct Region: Sendable {
    public var centerLat: Double
    public var centerLon: Double
    /// Half the side of the square area, metres.
    public var radiusM: Double
    /// Fuel stations, in local metres.
    public var stations: [Point]

    static let metresPerDegLat = 111_320.0

    public init(centerLat: Double = 52.52, centerLon: Double = 13.40, radiusM: Double = 120_000, stationCount: Int = 60, rng: inout SimRandom) {
        self.centerLat = centerLat
        self.centerLon = centerLon
        self.radiusM = radiusM
        // Stations cluster towards the centre like real ones do around a city.
        stations = (0..<stationCount).map { _ in
            let r = radiusM * 0.8 * rng.unit() * rng.unit()
            let a = rng.uniform(0, 2 * Double.pi)
            return Point(x: r * _cos(a), y: r * _sin(a))
        }
    }

    func latLon(_ p: Point) -> (lat: Double, lon: Double) {
        let lat = centerLat + p.y / Self.metresPerDegLat
        let lon = centerLon + p.x / (Self.metresPerDegLat * _cos(centerLat * Double.pi / 180))
        return (lat, lon)
    }

    func clamp(_ p: Point) -> Point {
        Point(x: min(max(p.x, -radiusM), radiusM), y: min(max(p.y, -radiusM), radiusM))
    }

    func nearestStation(to p: Point) -> Point {
        var best = stations[0]
        var bestD = Double.infinity
        for s in stations {
            let d = p.distance(to: s)
            if d < bestD { bestD = d; best = s }
        }
        return best
    }
}

public struct Point: Sendable, Equatable {
    public var x: Double
    public var y: Double
    func distance(to o: Point) -> Double { _hypot(o.x - x, o.y - y) }
}
