/// Longitudinal control along a route: cruise by road type, brake for lights, turns and the
/// destination on a comfortable curve, accelerate with the driver's style.
extension VehicleSim {
    /// One step along the route; returns longitudinal acceleration, m/s².
    mutating func drive(dt: Double) -> Double {
        guard let r = route else { return 0 }
        let v0 = speed
        if t < waitUntil {  // stopped at a light or junction, engine idling
            speed = 0
            return 0
        }
        if rng.chance(0.03) { cruiseFactor = rng.uniform(0.82, 1.03) * (0.5 + spec.aggression / 2) }
        let cls = spec.vehicleClass
        let brake = cls.maxBrake * 0.8
        let vCruise = cls.cruiseKmh(r.roads[routeSeg]) / 3.6 * cruiseFactor
        var vLim = vCruise
        let dEnd = r.total - routeS
        vLim = min(vLim, (2 * brake * max(0, dEnd - 2)).squareRoot())
        if nextStop < r.stops.count {
            let d = r.stops[nextStop].s - routeS
            vLim = min(vLim, (2 * brake * max(0, d - 1)).squareRoot())
        }
        if routeSeg + 1 < r.roads.count {
            let dTurn = r.cum[routeSeg + 1] - routeS
            let vTurn = r.roads[routeSeg + 1] == .highway && r.roads[routeSeg] == .highway ? 22.0 : 7.5
            vLim = min(vLim, (vTurn * vTurn + 2 * brake * max(0, dTurn)).squareRoot())
        }
        let a = min(max((vLim - v0) / dt, -cls.maxBrake * 1.3), cls.maxAccel * spec.aggression)
        var v1 = max(0, v0 + a * dt)
        var ds = (v0 + v1) / 2 * dt
        // Snap to a stop line rather than creep towards it.
        if nextStop < r.stops.count {
            let d = r.stops[nextStop].s - routeS
            if d <= max(ds, 3) {
                if v1 < 4 {
                    ds = max(0, d)
                    v1 = 0
                    waitUntil = t + Int64(dt * 1000) + r.stops[nextStop].waitMs
                }
                nextStop += 1
            }
        }
        let arrived = dEnd <= max(ds, 3) && v1 < 4
        if arrived { ds = max(0, dEnd); v1 = 0 }
        routeS += ds
        odoKm += ds / 1000
        // Consumption: base L/100 km, more when accelerating hard or above 90 km/h.
        let accelExtra = 1 + 0.6 * max(0, a) / cls.maxAccel
        let speedExtra = v1 > 25 ? 1 + (v1 - 25) * 0.03 : 1
        let world = (terrain?.driveFactor ?? 1) * (terrain?.coldFactor(at: t) ?? 1)
        fuelL -= spec.consumptionL100 / 100 * (ds / 1000) * accelExtra * speedExtra * world
        terrain?.drove(toKm: odoKm)
        let seg = r.segment(at: routeS, hint: routeSeg)
        if seg != routeSeg {
            let h0 = r.heading(segment: routeSeg), h1 = r.heading(segment: seg)
            var dh = h1 - h0
            while dh > Double.pi { dh -= 2 * Double.pi }
            while dh < -Double.pi { dh += 2 * Double.pi }
            pendingLatAccel = v1 * dh / 3  // the turn takes about 3 s
            routeSeg = seg
        }
        headingRad = r.heading(segment: routeSeg)
        pos = r.position(at: routeS, segment: routeSeg)
        speed = v1
        if arrived {
            pos = r.points[r.points.count - 1]
            route = nil
            arrive()
        }
        return (v1 - v0) / dt
    }

    mutating func startDrive(to dest: Point, kind: Destination) {
        route = Route.plan(from: pos, to: dest, region: env.region, rng: &rng)
        routeS = 0
        routeSeg = 0
        nextStop = 0
        waitUntil = 0
        destination = kind
        activity = .driving
        activityEnd = .max
        cruiseFactor = rng.uniform(0.85, 1.03) * (0.5 + spec.aggression / 2)
        setIgnition(true)
        terrain?.legStarts(truck: spec.vehicleClass == .truck)
        maybeStartMovingDrain()
    }
}
