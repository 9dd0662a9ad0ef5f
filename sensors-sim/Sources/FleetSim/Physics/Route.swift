import SeededRandom
/// A drivable path: a polyline with a road type per segment and planned stops (lights, junctions).
struct Route {
    var points: [Point]
    /// cum[i] = distance from the start to points[i], metres.
    var cum: [Double]
    var roads: [RoadType]
    /// Stops along the way: distance from the start and how long the vehicle waits.
    var stops: [(s: Double, waitMs: Int64)]
    var total: Double { cum[cum.count - 1] }

    /// Plans a plausible route: a Manhattan-like L with jitter in town, a highway leg for long trips.
    static func plan(from a: Point, to b: Point, region: Region, rng: inout SimRandom) -> Route {
        var pts = [a]
        var roads: [RoadType] = []
        let d = a.distance(to: b)
        func jitter(_ p: Point, _ m: Double) -> Point {
            region.clamp(Point(x: p.x + rng.normal(0, m), y: p.y + rng.normal(0, m)))
        }
        if d > 15_000 {
            // Local roads to a ramp, highway, then local roads from the far ramp.
            let ux = (b.x - a.x) / d, uy = (b.y - a.y) / d
            let on = jitter(Point(x: a.x + ux * 2_500, y: a.y + uy * 2_500), 800)
            let off = jitter(Point(x: b.x - ux * 2_500, y: b.y - uy * 2_500), 800)
            pts.append(on); roads.append(.urban)
            let mid = jitter(Point(x: (on.x + off.x) / 2, y: (on.y + off.y) / 2), d * 0.06)
            pts.append(mid); roads.append(.highway)
            pts.append(off); roads.append(.highway)
            pts.append(b); roads.append(.arterial)
        } else {
            let corner = rng.chance(0.5) ? Point(x: b.x, y: a.y) : Point(x: a.x, y: b.y)
            let c = jitter(corner, 150)
            for p in [c, b] {
                let seg = pts[pts.count - 1].distance(to: p)
                if seg > 1_500 && rng.chance(0.6) {
                    // A bend halfway on longer stretches.
                    let q = pts[pts.count - 1]
                    pts.append(jitter(Point(x: (q.x + p.x) / 2, y: (q.y + p.y) / 2), 120))
                    roads.append(seg > 4_000 ? .arterial : .urban)
                }
                pts.append(p)
                roads.append(seg > 4_000 ? .arterial : .urban)
            }
        }
        var cum = [0.0]
        for i in 1..<pts.count { cum.append(cum[i - 1] + pts[i - 1].distance(to: pts[i])) }
        var stops: [(Double, Int64)] = []
        for i in 0..<roads.count {
            let spacing: ClosedRange<Double>, p: Double
            switch roads[i] {
            case .urban: spacing = 250...700; p = 0.45
            case .arterial: spacing = 800...2_000; p = 0.35
            case .highway: continue
            }
            var s = cum[i] + rng.uniform(spacing.lowerBound, spacing.upperBound)
            while s < cum[i + 1] - 60 {
                if rng.chance(p) { stops.append((s, Int64(rng.uniform(8, 75) * 1000))) }
                s += rng.uniform(spacing.lowerBound, spacing.upperBound)
            }
        }
        return Route(points: pts, cum: cum, roads: roads, stops: stops)
    }

    func segment(at s: Double, hint: Int) -> Int {
        var i = hint
        while i < roads.count - 1 && s >= cum[i + 1] { i += 1 }
        return i
    }

    func position(at s: Double, segment i: Int) -> Point {
        let len = cum[i + 1] - cum[i]
        let f = len > 0 ? min(max((s - cum[i]) / len, 0), 1) : 1
        let a = points[i], b = points[i + 1]
        return Point(x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f)
    }

    /// Compass heading of segment i, radians (0 = north, clockwise).
    func heading(segment i: Int) -> Double {
        let a = points[i], b = points[i + 1]
        return _atan2(b.x - a.x, b.y - a.y)
    }
}
