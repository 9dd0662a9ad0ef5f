/// A fuel card purchase as the card provider reports it: what was paid for, when and where. The
/// litres are the pump's; whether they reached the tank is what reconciliation decides.
public struct FuelPurchase: Sendable, Equatable {
    public var vehicleID: String
    public var purchasedAtMs: Int64
    public var volumeL: Double
    /// Decimal text as PostgreSQL's numeric takes it ("1234.56"): money is never a binary float.
    public var amount: String?
    /// ISO 4217, upper case.
    public var currency: String?
    public var station: String?
    public var lat: Double?
    public var lon: Double?
    public var cardID: String?
    /// The provider's id of the transaction: a second import of it changes nothing.
    public var externalRef: String?

    public init(vehicleID: String, purchasedAtMs: Int64, volumeL: Double, amount: String? = nil, currency: String? = nil,
                station: String? = nil, lat: Double? = nil, lon: Double? = nil, cardID: String? = nil, externalRef: String? = nil) {
        self.vehicleID = vehicleID
        self.purchasedAtMs = purchasedAtMs
        self.volumeL = volumeL
        self.amount = amount
        self.currency = currency
        self.station = station
        self.lat = lat
        self.lon = lon
        self.cardID = cardID
        self.externalRef = externalRef
    }
}

/// The columns of `fuel_purchases` an import fills, by their names there.
public enum PurchaseField: String, CaseIterable, Sendable {
    case vehicleID = "vehicle_id"
    case purchasedAt = "purchased_at"
    case volumeL = "volume_l"
    case amount, currency, station, lat, lon
    case cardID = "card_id"
    case externalRef = "external_ref"
}

/// Why a line of an export was not imported.
public struct PurchaseRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var problem: String

    public init(_ field: String, _ problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(field): \(problem)" }
}
