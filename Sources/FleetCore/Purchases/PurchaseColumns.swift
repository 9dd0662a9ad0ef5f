/// Which column of a card export holds which purchase field, found from the header's names
/// (`Vehicle`, `Transaction Date`, `Quantity`, `Litres`…, compared without case, spaces, `_`
/// or `-`) or named by the operator (`--column volume_l=Menge`). A date and a time in two columns
/// are read as one.
public struct PurchaseColumns: Sendable, Equatable {
    public private(set) var index: [PurchaseField: Int] = [:]
    /// A date column and a time column standing in for `purchased_at`.
    public private(set) var dateAndTime: (date: Int, time: Int)?
    /// Header names matching no field, for the import's summary.
    public private(set) var ignored: [String] = []

    public static func == (a: PurchaseColumns, b: PurchaseColumns) -> Bool {
        a.index == b.index && a.dateAndTime?.date == b.dateAndTime?.date && a.dateAndTime?.time == b.dateAndTime?.time && a.ignored == b.ignored
    }

    static let aliases: [PurchaseField: [String]] = [
        .vehicleID: ["vehicleid", "vehicle", "unit", "unitid", "asset", "assetid", "truck", "truckid"],
        .purchasedAt: ["purchasedat", "timestamp", "datetime", "dateandtime", "transactiontime", "transactiondatetime", "purchasetime"],
        .volumeL: ["volumel", "volume", "litres", "liters", "quantity", "qty", "quantityl", "volumelitres", "volumeliters", "fuelvolume"],
        .amount: ["amount", "total", "totalamount", "grossamount", "value", "amountgross"],
        .currency: ["currency", "ccy", "cur"],
        .station: ["station", "stationname", "site", "sitename", "merchant", "merchantname"],
        .lat: ["lat", "latitude", "stationlat", "stationlatitude"],
        .lon: ["lon", "lng", "long", "longitude", "stationlon", "stationlongitude"],
        .cardID: ["cardid", "card", "cardnumber", "cardno", "pan"],
        .externalRef: ["externalref", "reference", "ref", "transactionid", "transactionno", "transactionnumber", "receipt", "receiptno", "id"],
    ]
    static let dateAliases = ["date", "transactiondate", "purchasedate"]
    static let timeAliases = ["time", "transactiontime"]

    /// Why a header cannot be read: a required field has no column, or an override names none.
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// `overrides`: field → header name, winning over the aliases.
    public init(header: [String], overrides: [PurchaseField: String] = [:]) throws(Problem) {
        let names = header.enumerated().map { i, h in
            Self.normalized(i == 0 ? String(h.drop { $0 == "\u{FEFF}" }) : h)
        }
        var taken = Set<Int>()
        for (field, name) in overrides.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            guard let i = names.firstIndex(of: Self.normalized(name)) else {
                throw Problem(description: "--column \(field.rawValue)=\(name): no such column; the header has \(header.joined(separator: ", "))")
            }
            index[field] = i
            taken.insert(i)
        }
        for field in PurchaseField.allCases where index[field] == nil {
            if let i = names.indices.first(where: { !taken.contains($0) && Self.aliases[field]!.contains(names[$0]) }) {
                index[field] = i
                taken.insert(i)
            }
        }
        if index[.purchasedAt] == nil,
           let d = names.indices.first(where: { !taken.contains($0) && Self.dateAliases.contains(names[$0]) }),
           let t = names.indices.first(where: { !taken.contains($0) && Self.timeAliases.contains(names[$0]) }) {
            dateAndTime = (d, t)
            taken.formUnion([d, t])
        }
        var missing: [String] = []
        if index[.vehicleID] == nil { missing.append("vehicle_id (a column like Vehicle or Unit)") }
        if index[.purchasedAt] == nil && dateAndTime == nil { missing.append("purchased_at (Timestamp, or Date and Time)") }
        if index[.volumeL] == nil { missing.append("volume_l (Litres, Quantity or Volume)") }
        guard missing.isEmpty else {
            throw Problem(description: "no column for \(missing.joined(separator: ", ")); the header has \(header.joined(separator: ", ")); name them with --column FIELD=HEADER")
        }
        ignored = header.indices.filter { !taken.contains($0) }.map { header[$0] }
    }

    static func normalized(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { !" _-.()\t".unicodeScalars.contains($0) })
    }
}
