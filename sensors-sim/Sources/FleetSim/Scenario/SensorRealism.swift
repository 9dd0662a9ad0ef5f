/// How imperfect the sensors are. Each knob is a scale or a rate; 0 switches it off.
public struct SensorRealism: Sendable, Equatable {
    /// Scale on fuel measurement noise (1 = a typical capacitive probe: σ ≈ 0.4 % of tank).
    public var fuelNoise = 1.0
    /// Scale on slosh from acceleration, braking and turns (1 = several % of the tank).
    public var slosh = 1.0
    /// Extra random slosh from rough roads (0 = paved roads).
    public var roughRoads = 0.0
    /// Quantise levels: 0.1 L steps for litre units, 0–4095 counts for raw-probe units.
    public var quantise = true
    /// Fraction of units with a raw 0–4095 probe that publish `fuel_pct`.
    public var rawProbeFraction = 0.3
    /// GPS position noise, metres (σ).
    public var gpsNoiseM = 4.0
    /// Fraction of units whose fuel sensor reads 0 while the ignition is off.
    public var zeroOnIgnitionOffFraction = 0.0
    /// σ of each unit's calibration gain error (0.01 = 1 %), with a milder mid-tank bow:
    /// tank tables are never exact, so measured volumes are off by a unit-specific percentage.
    public var calibrationError = 0.01
    /// Scale on thermal expansion of the fuel (diesel ≈ 0.095 %/°C) with the day's temperature
    /// swing (3–17 °C): a parked truck's level sinks a few litres overnight and comes back by day.
    public var thermal = 1.0

    public init() {}
}

/// Rates of injected events, per vehicle-day unless stated otherwise.
public struct FaultRates: Sendable, Equatable {
    public var drainParked = 0.0
    public var drainMoving = 0.0
    /// Siphoning during a 5–15 minute stop between two drives.
    public var drainShortStop = 0.0
    public var fuelDropout = 0.0
    public var fuelStuck = 0.0
    public var fuelOutOfRange = 0.0
    public var odometerRollback = 0.0
    public var odometerReset = 0.0
    public var odometerJump = 0.0
    public var gpsJump = 0.0
    public var gpsInvalid = 0.0
    public var clockSkew = 0.0
    /// A store-and-forward outage (minutes to hours) per vehicle-day.
    public var offline = 0.0
    /// Longest outage, minutes.
    public var offlineMaxMinutes = 240.0
    /// Probability that one published message is published again (per message).
    public var duplicate = 0.0

    public init() {}

    public func scaled(_ k: Double) -> FaultRates {
        var r = self
        r.drainParked *= k; r.drainMoving *= k; r.drainShortStop *= k; r.fuelDropout *= k; r.fuelStuck *= k
        r.fuelOutOfRange *= k; r.odometerRollback *= k; r.odometerReset *= k; r.odometerJump *= k
        r.gpsJump *= k; r.gpsInvalid *= k; r.clockSkew *= k; r.offline *= k; r.duplicate *= k
        return r
    }
}
