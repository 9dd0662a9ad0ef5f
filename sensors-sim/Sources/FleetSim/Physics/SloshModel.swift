import SeededRandom
/// Apparent change of the probe's level caused by fuel moving in the tank, as a fraction of the tank.
///
/// Acceleration and braking tilt the surface along the tank, turns across it; the probe sits off-centre,
/// so the sign and size depend on the install. Rough roads add a correlated random component.
/// Filters are first-order because the surface settles within seconds and samples come every 10 s or more.
struct SloshModel {
    var longGain: Double
    var latGain: Double
    var fLong = 0.0
    var fLat = 0.0
    var rough = 0.0

    init(rng: inout SimRandom) {
        longGain = (rng.chance(0.5) ? 1 : -1) * rng.uniform(0.018, 0.032)
        latGain = (rng.chance(0.5) ? 1 : -1) * rng.uniform(0.008, 0.018)
    }

    /// One 1-second step; returns the level offset as a fraction of the tank.
    mutating func step(aLong: Double, aLat: Double, speed: Double, fill: Double, scale: Double, roughRoads: Double, rng: inout SimRandom) -> Double {
        guard scale > 0 || roughRoads > 0 else { return 0 }
        let k = 0.49  // 1 − e^(−1 s / 1.5 s)
        fLong += (aLong - fLong) * k
        fLat += (aLat - fLat) * k
        let moving = speed > 0.5
        var vib = 0.0
        if moving { vib = 0.004 * rng.normal() }
        if roughRoads > 0 && moving {
            let sd = roughRoads * 0.03 * min(1, speed / 15)
            rough = rough * 0.8 + 0.6 * sd * rng.normal()
        } else {
            rough *= 0.5
        }
        // A half-full tank sloshes most; a full or empty one barely moves.
        let fillFactor = min(1, 0.3 + 2.8 * fill * (1 - fill))
        return fillFactor * (scale * (longGain * fLong + latGain * fLat + vib) + rough)
    }

    mutating func settle() {
        fLong = 0; fLat = 0; rough = 0
    }
}
