/// Detection thresholds of one vehicle, derived from its tank so a 50 L car and a 400 L truck are
/// judged on the same physics. Every field can be overridden per vehicle (`FuelThresholdOverrides`).
public struct FuelThresholds: Sendable, Equatable {
    /// Below this GPS speed the vehicle is standing: receivers report 0–2 km/h of jitter at rest.
    public var stationarySpeedKmh = 3.0
    /// Fuel surface waves in a baffled tank die out within seconds; 20 s after the last motion a
    /// probe reads the true level again (Navixy-style motion timeout, shortened to keep the few
    /// readings a unit sends at the pump before a fill starts).
    public var settleAfterMotionMs: Int64 = 20_000
    /// A median of three readings moves less than this on noise alone (probes: σ ≈ 0.3–0.8 % of tank,
    /// a median of three ≈ 0.7σ); a settled level that moves further is changing.
    public var calmBandL: Double
    /// The filtered level must leave the reference by this much before a refuel or drain is considered:
    /// about 5σ of a median on a typical probe and well above a parked tank's thermal drift per hour.
    /// Spurious starts cost nothing: the event is judged on settled medians afterwards.
    public var triggerL: Double
    /// Smallest fill reported: clearly above two settled medians' noise on any tank.
    public var refuelMinL: Double
    /// Smallest drain reported (absolute litres and % of tank, whichever is larger), as fleets set it.
    public var drainMinL: Double
    /// A level taken while driving (median of the trip's last readings) can be off by slosh: braking into
    /// the stop (≈ 1 m/s²) tilts the surface by 2–3 % of the tank per m/s². Changes judged against such a
    /// level must exceed the minimum by this much more.
    public var sloshAllowanceL: Double
    /// No road vehicle has a range under ~500 km on a full tank: it burns at most 0.2 % of its tank per km.
    public var maxBurnPerKmL: Double
    /// Fuel expands ≈ 0.1 % per °C and the air moves up to ~2 °C an hour, a day's swing 15 °C: two levels
    /// hours apart can differ by this much per hour, at most `maxThermalDriftL`, with nothing lost.
    public var thermalDriftLph: Double
    public var maxThermalDriftL: Double
    /// Idling burns ≈ 1 % of the tank per hour on cars and trucks alike; 2 % is a safe upper bound, so
    /// idling never looks like a drain.
    public var idleBurnLph: Double
    /// A drop must be seen settled this long before it counts as a parked drain: siphoning or a leak
    /// takes minutes, while a dip at a red light is noise.
    public var drainHoldMs: Int64 = 120_000
    /// Steps of one fill or drain closer than this are one event (Wialon's join interval).
    public var joinMs: Int64 = 300_000
    /// A change still unresolved after this long is closed with what is known.
    public var maxEventMs: Int64 = 3_600_000
    /// A stop level that stays between the calm and trigger bands this long is accepted as the new level.
    public var reanchorMs: Int64 = 1_200_000
    /// The reference follows slow drift (thermal expansion: a few ‰ per hour) with this time constant,
    /// far slower than the slowest drain worth reporting (≈ 0.4 L/min).
    public var driftTauMs: Int64 = 1_800_000
    /// A working probe changes by a quantisation step (≤ 0.1 L or 1/4095 of the tank) every km or two:
    /// any engine burns ≥ 5 L/100 km. An identical reading over this distance is a stuck sensor.
    public var stuckMinDistanceKm = 5.0
    public var stuckMinReadings = 6
    /// "About zero": probes that lose power report 0 or a few counts of 4095 (≤ 0.3 %); a tank run or
    /// siphoned almost dry still reads above this.
    public var nearZeroL: Double
    /// A fall to zero only counts as a dropout from a level clearly above empty (and above the
    /// probe's noise, `DropoutWatch`); from under a tenth of the tank it must last a few readings.
    public var dropoutFromL: Double
    /// While driving, slosh moves the reading by 5–20 % of the tank: a zero is judged against the trip's
    /// median level, which must be above this, and must last a few readings (slosh passes in seconds).
    public var movingDropoutFromL: Double
    public var dropoutMinReadingsDriving = 3
    /// No level for longer than any unit's parked reporting period (≤ 60 s) plus margin: something may
    /// have happened unseen, so the next stop is judged against the last known level.
    public var gapMs: Int64 = 300_000
    /// A fill or drain must exceed this many standard errors of the probe's own noise (`ProbeNoise`):
    /// about one false event in 30 000 candidates on a Gaussian probe.
    public var stepSignificance = 4.0
    /// Noise assumed for a probe until its own is learned: 0.4 % of the tank, a typical probe.
    public var priorNoiseL: Double

    /// Defaults for a tank of `capacityL` litres.
    public init(capacityL c: Double) {
        calmBandL = max(0.6, 0.01 * c)
        refuelMinL = max(5, 0.05 * c)
        drainMinL = max(5, 0.02 * c)
        // Never above the smallest drain worth reporting, or small drains could not start an event.
        triggerL = min(max(1.5, 0.015 * c), 0.75 * drainMinL)
        sloshAllowanceL = 0.04 * c
        idleBurnLph = 0.02 * c
        thermalDriftLph = 0.002 * c
        maxThermalDriftL = 0.015 * c
        maxBurnPerKmL = 0.002 * c
        nearZeroL = max(0.3, 0.005 * c)
        dropoutFromL = max(3, 3 * nearZeroL)
        movingDropoutFromL = max(3, 0.1 * c)
        priorNoiseL = 0.004 * c
    }

    public func applying(_ o: FuelThresholdOverrides) -> FuelThresholds {
        var t = self
        if let v = o.refuelMinL { t.refuelMinL = v }
        if let v = o.drainMinL { t.drainMinL = v }
        if let v = o.maxBurnPerKmL { t.maxBurnPerKmL = v }
        if let v = o.triggerL { t.triggerL = v }
        if let v = o.idleBurnLph { t.idleBurnLph = v }
        if let v = o.stuckMinDistanceKm { t.stuckMinDistanceKm = v }
        if let v = o.settleAfterMotionMs { t.settleAfterMotionMs = v }
        return t
    }
}

/// Per-vehicle settings an operator may set; nil keeps the tank-derived default.
public struct FuelThresholdOverrides: Sendable, Equatable, Codable {
    public var refuelMinL: Double?
    public var drainMinL: Double?
    public var triggerL: Double?
    public var idleBurnLph: Double?
    public var maxBurnPerKmL: Double?
    public var stuckMinDistanceKm: Double?
    public var settleAfterMotionMs: Int64?

    public init(refuelMinL: Double? = nil, drainMinL: Double? = nil, triggerL: Double? = nil, idleBurnLph: Double? = nil,
                maxBurnPerKmL: Double? = nil, stuckMinDistanceKm: Double? = nil, settleAfterMotionMs: Int64? = nil) {
        self.refuelMinL = refuelMinL
        self.drainMinL = drainMinL
        self.triggerL = triggerL
        self.idleBurnLph = idleBurnLph
        self.maxBurnPerKmL = maxBurnPerKmL
        self.stuckMinDistanceKm = stuckMinDistanceKm
        self.settleAfterMotionMs = settleAfterMotionMs
    }
}
