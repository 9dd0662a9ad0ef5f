/// Vehicle classes with real tank sizes and consumption figures.
public enum VehicleClass: String, Sendable, CaseIterable {
    case car, van, truck

    /// Nominal tank capacity range in litres.
    var tankRange: ClosedRange<Double> {
        switch self {
        case .car: 45...60
        case .van: 70...90
        case .truck: 350...450
        }
    }

    /// Driving consumption range in L/100 km.
    var consumptionRange: ClosedRange<Double> {
        switch self {
        case .car: 6...8
        case .van: 9...12
        case .truck: 28...35
        }
    }

    /// Idle burn in L/h.
    var idleBurnRange: ClosedRange<Double> {
        switch self {
        case .car: 0.6...0.9
        case .van: 0.9...1.3
        case .truck: 2.5...4.0
        }
    }

    /// Cruise speeds in km/h by road type (urban, arterial, highway).
    func cruiseKmh(_ road: RoadType) -> Double {
        switch (self, road) {
        case (_, .urban): 48
        case (.truck, .arterial): 62
        case (_, .arterial): 70
        case (.truck, .highway): 85
        case (.van, .highway): 105
        case (.car, .highway): 120
        }
    }

    /// Comfortable acceleration and braking in m/s².
    var maxAccel: Double { self == .truck ? 0.7 : 1.8 }
    var maxBrake: Double { self == .truck ? 1.8 : 2.8 }

    /// Trip length range in km for one leg of the working day.
    var legKm: ClosedRange<Double> {
        switch self {
        case .car: 3...30
        case .van: 2...20
        case .truck: 25...140
        }
    }

    /// Starting odometer range in km (a used fleet, never a fresh one).
    var odometerRange: ClosedRange<Double> {
        switch self {
        case .car: 20_000...180_000
        case .van: 30_000...250_000
        case .truck: 150_000...900_000
        }
    }
}

public enum RoadType: Sendable { case urban, arterial, highway }
