import FleetCore
import Foundation
import SeededRandom

/// Fuel card purchases for a simulated fleet, each with what really happened at the pump: honest
/// sales (the pump's litres are the litres added, ±0.2 %), short fills (10–40 % of what was paid for
/// went into a jerrycan), cards used away from the vehicle, and fills paid in cash (no purchase).
/// Terminal clocks are minutes off and station coordinates a few hundred metres.
public enum PurchaseFaker {
    public struct Fake: Sendable {
        public enum Truth: String, Sendable { case honest, short, elsewhere }
        public var purchase: FuelPurchase
        public var truth: Truth
        /// For `short`: the share of the purchase that did not reach the tank.
        public var missingFraction: Double
    }

    public struct Mix: Sendable {
        public var cash = 0.10
        public var short = 0.20
        /// Per vehicle over the run: the chance of one card use away from it.
        public var elsewherePerVehicle = 0.25
        public var withCoordinates = 0.7

        public init() {}
    }

    public static func purchases(truth: [TruthEvent], tracks: [String: VehicleTrack], startMs: Int64, endMs: Int64,
                                 seed: UInt64, mix: Mix = Mix()) -> [Fake] {
        var rng = SimRandom(seed: seed, stream: 0x5A1E)
        var out: [Fake] = []
        let refuels = truth.filter { $0.kind == .refuel && ($0.volumeL ?? 0) > 0 }
        for r in refuels {
            let added = r.volumeL!
            let draw = rng.unit()
            if draw < mix.cash { continue }
            let short = draw < mix.cash + mix.short
            let missing = short ? rng.uniform(0.10, 0.40) : 0
            let pumped = added / (1 - missing) * (1 + 0.002 * rng.normal())
            // Paid at the kiosk after the pump, on a terminal whose clock is a few minutes off.
            let at = r.endMs + Int64(rng.uniform(-2, 10) * 60_000 + 3 * 60_000 * rng.normal())
            var p = FuelPurchase(vehicleID: r.vehicle, purchasedAtMs: at, volumeL: (pumped * 100).rounded() / 100)
            if rng.chance(mix.withCoordinates), let fix = tracks[r.vehicle]?.fix(near: (r.startMs + r.endMs) / 2, within: 30 * 60_000) {
                (p.lat, p.lon) = offset(fix, km: abs(0.15 * rng.normal()), bearing: rng.uniform(0, 2 * .pi))
            }
            out.append(Fake(purchase: p, truth: short ? .short : .honest, missingFraction: missing))
        }
        var byVehicle: [String: [TruthEvent]] = [:]
        for r in refuels { byVehicle[r.vehicle, default: []].append(r) }
        for vehicle in tracks.keys.sorted() where rng.chance(mix.elsewherePerVehicle) {
            // A time well away from the vehicle's own fills: three hours either side.
            for _ in 0..<20 {
                let at = startMs + Int64(rng.uniform(0.05, 0.95) * Double(endMs - startMs))
                guard !(byVehicle[vehicle] ?? []).contains(where: { at > $0.startMs - 3 * 3_600_000 && at < $0.endMs + 3 * 3_600_000 }) else { continue }
                var p = FuelPurchase(vehicleID: vehicle, purchasedAtMs: at, volumeL: (rng.uniform(60, 400) * 100).rounded() / 100)
                if rng.chance(mix.withCoordinates), let fix = tracks[vehicle]?.fix(near: at, within: 30 * 60_000) {
                    (p.lat, p.lon) = offset(fix, km: rng.uniform(20, 80), bearing: rng.uniform(0, 2 * .pi))
                }
                out.append(Fake(purchase: p, truth: .elsewhere, missingFraction: 1))
                break
            }
        }
        return out.sorted { $0.purchase.purchasedAtMs < $1.purchase.purchasedAtMs }
    }

    /// A point `km` from the fix along `bearing` (flat-earth step: fine for tens of km).
    static func offset(_ fix: PurchaseCheck.Fix, km: Double, bearing: Double) -> (Double, Double) {
        let dLat = km * cos(bearing) / 111.2
        let dLon = km * sin(bearing) / (111.2 * max(0.1, cos(fix.lat * .pi / 180)))
        return (max(-90, min(90, fix.lat + dLat)), ((fix.lon + dLon + 540).truncatingRemainder(dividingBy: 360)) - 180)
    }
}
