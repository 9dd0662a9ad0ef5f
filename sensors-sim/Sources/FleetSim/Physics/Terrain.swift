import SeededRandom
/// One vehicle's state in the hilly, capacitive world (`PhysicsModel.hillyCapacitive`): the road's
/// grade, a trailer, a cold engine and the probe's own temperature. Its random stream is its own, so
/// the standard world's runs stay identical whatever this one draws.
struct Terrain {
    var rng: SimRandom
    /// Rise over run where the vehicle is, and the distance (km) at which the road's grade changes next.
    var grade = 0.0
    var gradeUntilKm = 0.0
    var trailer = false
    var coldUntil: Int64 = 0
    var engineOffSince: Int64
    /// How far engine heat has warmed the probe above the fuel's temperature, °C.
    var probeHeatC = 0.0
    /// The probe sits off the tank's centre: a grade tilts the surface along it by this much of the tank per unit of grade.
    let tiltGain: Double

    /// Grades on roads and at stops: σ 3 %, at most 8 % (steep streets, ramps).
    static let gradeSigma = 0.03
    static let maxGrade = 0.08
    /// Climbing costs about 12 % more fuel per % of grade; descending saves about half as much.
    static let climbCostPerGrade = 12.0
    static let descentSavingPerGrade = 6.0
    static let trailerShare = 0.4
    static let trailerFactor = 1.35
    /// After this long off, the engine starts cold and burns more for its first ten minutes.
    static let coldAfterMs: Int64 = 2 * 3_600_000
    static let coldForMs: Int64 = 600_000
    static let coldFactor = 1.3
    /// The probe's dielectric: its reading moves ≈ 0.06 % per °C of its own temperature.
    static let probeDriftPerC = 0.0006
    static let engineHeatC = 15.0

    init(seed: UInt64, index: Int, start: Int64) {
        rng = SimRandom(seed: seed, stream: UInt64(index), salt: 5)
        engineOffSince = start - Self.coldAfterMs
        let side: Double = rng.chance(0.5) ? 1 : -1
        tiltGain = side * rng.uniform(0.3, 0.8)
        grade = nextGrade()
    }

    mutating func nextGrade() -> Double {
        min(max(rng.normal(0, Self.gradeSigma), -Self.maxGrade), Self.maxGrade)
    }

    /// The road changes grade every 0.5–3 km.
    mutating func drove(toKm km: Double) {
        guard km >= gradeUntilKm else { return }
        grade = nextGrade()
        gradeUntilKm = km + rng.uniform(0.5, 3)
    }

    /// A new leg: a truck hitches a trailer on some of them.
    mutating func legStarts(truck: Bool) {
        trailer = truck && rng.chance(Self.trailerShare)
    }

    /// Filling stations are level.
    mutating func arrivedAtStation() { grade = 0 }

    mutating func ignition(on: Bool, at t: Int64) {
        if on {
            if t - engineOffSince >= Self.coldAfterMs { coldUntil = t + Self.coldForMs }
        } else {
            engineOffSince = t
        }
    }

    /// Fuel burnt while driving, as a factor on the flat-road figure.
    var driveFactor: Double {
        let slope = grade >= 0 ? 1 + Self.climbCostPerGrade * grade : max(0.3, 1 + Self.descentSavingPerGrade * grade)
        return slope * (trailer ? Self.trailerFactor : 1)
    }

    func coldFactor(at t: Int64) -> Double { t < coldUntil ? Self.coldFactor : 1 }

    /// Engine heat reaches the probe over ~20 minutes of running and leaves it over ~40 parked.
    mutating func heat(dtS: Double, engineOn: Bool) {
        let tau = engineOn ? 1_200.0 : 2_400.0
        let target = engineOn ? Self.engineHeatC : 0
        probeHeatC += (target - probeHeatC) * min(1, dtS / tau)
    }

    /// The probe's reading (tank fraction) for a true volume fraction at fuel temperature `fuelC`: the
    /// tank table, the tilt of a grade, the probe's temperature drift.
    func reading(volumeFraction f: Double, fuelC: Double) -> Double {
        let table = PhysicsModel.tankTableReading(volume: f)
        let tilt = tiltGain * grade
        return (table + tilt) * (1 + Self.probeDriftPerC * (fuelC + probeHeatC - 15))
    }
}
