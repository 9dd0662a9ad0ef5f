import RealModule

/// A fuel card purchase judged against what fleetd measured around its time and place: the refuel
/// it paid for (and whether the litres reached the tank), no refuel at all, or too little data to say.
/// Pure: the evidence is gathered from PostgreSQL by the caller.
public enum PurchaseCheck {
    /// A refuel fleetd detected, with what its volume's precision depends on.
    public struct Refuel: Sendable, Equatable {
        public var id: Int64
        public var startedAtMs: Int64
        public var endedAtMs: Int64
        public var volumeL: Double
        /// Scatter (σ) of one level reading of this vehicle's probe at rest around the fill, litres.
        public var levelSigmaL: Double

        public init(id: Int64, startedAtMs: Int64, endedAtMs: Int64, volumeL: Double, levelSigmaL: Double) {
            self.id = id
            self.startedAtMs = startedAtMs
            self.endedAtMs = endedAtMs
            self.volumeL = volumeL
            self.levelSigmaL = levelSigmaL
        }
    }

    public struct Fix: Sendable, Equatable {
        public var ms: Int64
        public var lat: Double
        public var lon: Double

        public init(ms: Int64, lat: Double, lon: Double) {
            self.ms = ms
            self.lat = lat
            self.lon = lon
        }
    }

    public struct Evidence: Sendable {
        public var purchase: FuelPurchase
        /// The vehicle's refuels near the purchase time not already matched to another purchase.
        public var refuels: [Refuel] = []
        /// The vehicle's fuel readings nearest the purchase time, before and after it (device time).
        public var fuelBeforeMs: Int64?
        public var fuelAfterMs: Int64?
        /// The vehicle's latest fuel reading: has what follows the purchase arrived?
        public var latestFuelMs: Int64?
        /// The vehicle's GPS fixes within `Limits.fixWithinMs` of the purchase time.
        public var fixes: [Fix] = []
        /// fleetd flagged the vehicle's fuel probe (stuck, dropping out, out of range) from 6 h before
        /// to 2 h after the purchase: readings there may hide a fill, so no fill is no proof.
        public var probeFaulty = false
        public var nowMs: Int64

        public init(purchase: FuelPurchase, nowMs: Int64) {
            self.purchase = purchase
            self.nowMs = nowMs
        }
    }

    public enum Decision: Sendable, Equatable {
        /// Not yet: the readings after the purchase have not all arrived.
        case wait
        case matched(refuelID: Int64, dispensedL: Double, toleranceL: Double)
        /// Paid clearly more than reached the tank. `confidence`: how sure the litres are missing
        /// (the probability that measurement noise alone does not explain the gap).
        case short(refuelID: Int64, dispensedL: Double, missingL: Double, toleranceL: Double, confidence: Double)
        /// No fill near the time; `distanceKm` from the station when both positions are known.
        case noRefuel(distanceKm: Double?)
        /// The vehicle was far from the station when the card was used.
        case elsewhere(distanceKm: Double)
        /// No fuel readings around the time: nothing to hold the purchase against.
        case unverifiable
    }

    /// The limits and why they are what they are.
    public struct Limits: Sendable {
        /// A card terminal stamps the sale some minutes off the fill: a clock a few minutes wrong,
        /// payment at the kiosk after the pump, or a pre-authorisation before it; and the detected
        /// start and end are only as fine as the readings around them.
        public var beforeStartMs: Int64 = 30 * 60_000
        public var afterEndMs: Int64 = 45 * 60_000
        /// What follows the purchase must have arrived (a refuel is known once the level settles).
        public var settleMs: Int64 = 2 * 3_600_000
        /// …unless the vehicle stays silent this long: then decide with what there is.
        public var horizonMs: Int64 = 48 * 3_600_000
        /// Readings around the purchase at most this far from it, or the gap could hide a fill.
        public var maxGapMs: Int64 = 30 * 60_000
        /// Where the vehicle was around the sale: its fixes this far either side. The terminal's clock
        /// is minutes off and the vehicle leaves after paying, so it counts as at the station when
        /// any of them is, and as elsewhere only when none is.
        public var fixWithinMs: Int64 = 15 * 60_000
        /// Station coordinates in card exports are the address's; forecourts and geocoding are
        /// off by a few hundred metres, a fix by tens.
        public var stationRadiusKm = 2.0
        /// Pumps are certified to ±0.5 % (OIML R 117); the level-to-litres calibration of a tank is
        /// good to about 2 % of a step.
        public var pumpAccuracy = 0.005
        public var calibrationAccuracy = 0.02
        /// Missing litres must stand this many σ out of the measurement noise.
        public var z = 3.0
        /// …and above this: a fill's step is never known better than a few litres (foam settling
        /// after the nozzle clicks off, fuel still running down the filler, the probe's resolution),
        /// however calm the probe reads afterwards.
        public var minToleranceL = 3.0

        public init() {}
    }

    public static func decide(_ e: Evidence, _ l: Limits = Limits()) -> Decision {
        let t = e.purchase.purchasedAtMs
        let stationKm = nearestApproachKm(e, l)
        if let km = stationKm, km > l.stationRadiusKm { return .elsewhere(distanceKm: km) }
        let settled = (e.latestFuelMs ?? Int64.min) >= t + l.settleMs || e.nowMs >= t + l.horizonMs
        guard settled else { return .wait }
        let near = e.refuels.filter { t >= $0.startedAtMs - l.beforeStartMs && t <= $0.endedAtMs + l.afterEndMs }
        if let r = near.min(by: { distance(t, $0) < distance(t, $1) }) {
            let paid = e.purchase.volumeL
            // Each level is a median of a few readings of a calm tank: σ each at most the probe's.
            let sigma = ((l.pumpAccuracy * paid).squared + (l.calibrationAccuracy * r.volumeL).squared + 2 * r.levelSigmaL.squared).squareRoot()
            let tolerance = max(l.z * sigma, l.minToleranceL)
            let missing = paid - r.volumeL
            guard missing > tolerance else { return .matched(refuelID: r.id, dispensedL: r.volumeL, toleranceL: tolerance) }
            let confidence = 1 - Double.erfc(missing / sigma / 2.0.squareRoot()) / 2
            return .short(refuelID: r.id, dispensedL: r.volumeL, missingL: missing, toleranceL: tolerance, confidence: confidence)
        }
        guard let before = e.fuelBeforeMs, let after = e.fuelAfterMs, t - before <= l.maxGapMs, after - t <= l.maxGapMs, !e.probeFaulty else {
            return .unverifiable
        }
        return .noRefuel(distanceKm: stationKm)
    }

    /// How close the vehicle came to the station within the fixes' window; nil without a station
    /// position or a fix.
    static func nearestApproachKm(_ e: Evidence, _ l: Limits) -> Double? {
        guard let lat = e.purchase.lat, let lon = e.purchase.lon else { return nil }
        let t = e.purchase.purchasedAtMs
        let station = PositionWatch.Fix(ts: t, lat: lat, lon: lon)
        return e.fixes.filter { abs($0.ms - t) <= l.fixWithinMs }
            .map { PositionWatch.distanceKm(.init(ts: $0.ms, lat: $0.lat, lon: $0.lon), station) }.min()
    }

    /// Anomaly kinds that say the probe's readings around a time do not show the tank.
    public static let probeFaults: [Anomaly.Kind] = [.fuelSensorStuck, .fuelDropout, .fuelOutOfRange]
    /// How far around a purchase such a flag counts: a stuck probe is flagged hours into its fault.
    public static let probeFaultBeforeMs: Int64 = 6 * 3_600_000
    public static let probeFaultAfterMs: Int64 = 2 * 3_600_000

    /// σ of one level reading from consecutive readings of a calm tank: the median absolute
    /// difference of neighbours over 0.954 (its value for Gaussian noise). Differences ignore the slow
    /// trend, the median ignores the slosh of a vehicle pulling away; the standard deviation of the
    /// same readings took both for noise and widened tolerances until shortfalls passed. nil for
    /// fewer than three readings.
    public static func levelSigma(_ levels: [Double]) -> Double? {
        guard levels.count >= 3 else { return nil }
        return Median.of(zip(levels.dropFirst(), levels).map { abs($0 - $1) }) / 0.954
    }

    /// How far `t` lies outside the refuel's interval (0 inside).
    private static func distance(_ t: Int64, _ r: Refuel) -> Int64 {
        t < r.startedAtMs ? r.startedAtMs - t : t > r.endedAtMs ? t - r.endedAtMs : 0
    }
}

private extension Double {
    var squared: Double { self * self }
}
