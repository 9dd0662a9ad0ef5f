/// One line of a card export → a purchase fleetd can store, or the reason it cannot: the same
/// limits the `fuel_purchases` table's constraints hold, said per field.
public enum PurchaseLine {
    public struct Format: Sendable {
        /// `.` or `,`.
        public var decimalMark: UInt8
        /// A wall-clock time read as if UTC → Unix ms (the export's time zone).
        public var localToUTC: @Sendable (Int64) -> Int64

        public init(decimalMark: UInt8 = UInt8(ascii: "."), localToUTC: @escaping @Sendable (Int64) -> Int64 = { $0 }) {
            self.decimalMark = decimalMark
            self.localToUTC = localToUTC
        }
    }

    public static func parse(_ fields: [String], _ columns: PurchaseColumns, _ format: Format) -> Result<FuelPurchase, PurchaseRefusal> {
        func text(_ f: PurchaseField) -> Substring? {
            guard let i = columns.index[f], i < fields.count else { return nil }
            let t = trimmed(fields[i])
            return t.isEmpty ? nil : t
        }
        if fields.contains(where: { $0.utf8.contains(0) }) { return .failure(PurchaseRefusal("line", "holds a NUL byte")) }
        guard let vehicle = text(.vehicleID) else { return .failure(PurchaseRefusal("vehicle_id", "empty")) }
        guard Topic.isValidVehicleID(vehicle.utf8) else {
            return .failure(PurchaseRefusal("vehicle_id", "'\(vehicle.prefix(80))' is not 1–64 characters of A-Z a-z 0-9 . _ - (a vehicle id as in the units' topics)"))
        }
        let timeText: Substring?
        if let (d, t) = columns.dateAndTime {
            let date = d < fields.count ? trimmed(fields[d]) : "", time = t < fields.count ? trimmed(fields[t]) : ""
            timeText = date.isEmpty && time.isEmpty ? nil : Substring(date + " " + time)
        } else {
            timeText = text(.purchasedAt)
        }
        guard let timeText else { return .failure(PurchaseRefusal("purchased_at", "empty")) }
        let ms: Int64
        switch PurchaseTime.parse(timeText) {
        case .utc(let t)?: ms = t
        case .local(let t)?: ms = format.localToUTC(t)
        case nil:
            return .failure(PurchaseRefusal("purchased_at", "'\(timeText.prefix(40))' is not a time like 2026-11-29 14:03, 2026-11-29T14:03:00+01:00 or 29.11.2026 14:03"))
        }
        guard Timestamp.validRange.contains(ms) else { return .failure(PurchaseRefusal("purchased_at", "'\(timeText.prefix(40))' is outside 1970–2200")) }
        guard let volumeText = text(.volumeL) else { return .failure(PurchaseRefusal("volume_l", "empty")) }
        guard let volume = LocalNumber.double(volumeText, decimalMark: format.decimalMark), volume > 0, volume <= 100_000 else {
            return .failure(PurchaseRefusal("volume_l", "'\(volumeText.prefix(40))' is not a number of litres above 0 and at most 100,000 (decimal mark '\(Character(Unicode.Scalar(format.decimalMark)))')"))
        }
        var p = FuelPurchase(vehicleID: String(vehicle), purchasedAtMs: ms, volumeL: volume)
        if let a = text(.amount) {
            guard let amount = LocalNumber.decimalText(a, decimalMark: format.decimalMark), !amount.hasPrefix("-"),
                  let value = Double(amount), value < 1e12 else {
                return .failure(PurchaseRefusal("amount", "'\(a.prefix(40))' is not an amount of 0 or more"))
            }
            p.amount = amount
        }
        if let c = text(.currency) {
            let code = c == "€" ? "EUR" : c == "£" ? "GBP" : c.uppercased()
            guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
                return .failure(PurchaseRefusal("currency", "'\(c.prefix(20))' is not a three-letter code like EUR"))
            }
            p.currency = code
        }
        switch (text(.lat), text(.lon)) {
        case (nil, nil): break
        case (let la?, let lo?):
            guard let lat = LocalNumber.double(la, decimalMark: format.decimalMark), let lon = LocalNumber.double(lo, decimalMark: format.decimalMark),
                  (-90...90).contains(lat), (-180...180).contains(lon) else {
                return .failure(PurchaseRefusal("lat/lon", "'\(la.prefix(20))', '\(lo.prefix(20))' is not a position in degrees"))
            }
            // Exports write 0,0 for "no position": the Gulf of Guinea sells no diesel.
            if lat != 0 || lon != 0 { (p.lat, p.lon) = (lat, lon) }
        default:
            return .failure(PurchaseRefusal("lat/lon", "one without the other"))
        }
        for (field, limit) in [(PurchaseField.station, 200), (.cardID, 64), (.externalRef, 200)] {
            guard let t = text(field) else { continue }
            guard t.count <= limit else { return .failure(PurchaseRefusal(field.rawValue, "longer than \(limit) characters")) }
            switch field {
            case .station: p.station = String(t)
            case .cardID: p.cardID = String(t)
            default: p.externalRef = String(t)
            }
        }
        return .success(p)
    }

    /// Without surrounding ASCII spaces, tabs and line breaks; on the UTF-8 bytes, since Character's
    /// Unicode whitespace test was an eighth of an import's time.
    private static func trimmed(_ s: String) -> Substring {
        func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 13 || b == 10 }
        let u = s.utf8
        guard let first = u.firstIndex(where: { !isSpace($0) }), let last = u.lastIndex(where: { !isSpace($0) }) else { return "" }
        return s[first...last]
    }
}
