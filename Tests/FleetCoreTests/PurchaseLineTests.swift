import FleetCore
import SeededRandom
import Testing

/// Card exports as people get them: decimal commas, day-first dates, a date and a time in two
/// columns, headers in other words. Every line either becomes a purchase or says why not.
@Suite struct PurchaseLineTests {
    let comma = UInt8(ascii: ","), point = UInt8(ascii: ".")

    @Test func numbersInEitherLocale() {
        for (text, expected) in [("1234.5", "1234.5"), ("1,234.50", "1234.50"), ("-3", "-3"), ("+0.25", "0.25"), ("1 234.5", "1234.5"),
                                 ("1,234,567.8", "1234567.8"), ("0.001", "0.001")] {
            #expect(LocalNumber.decimalText(Substring(text), decimalMark: point) == expected, "\(text)")
        }
        for (text, expected) in [("1234,5", "1234.5"), ("1.234,50", "1234.50"), ("1 234,5", "1234.5"), ("1\u{A0}234,5", "1234.5"), ("45,123", "45.123")] {
            #expect(LocalNumber.decimalText(Substring(text), decimalMark: comma) == expected, "\(text)")
        }
        // A thousands mark where a decimal mark belongs, or groups of other than three digits.
        for text in ["12,34", "1,2345", "1234,567.5", "", ".5", "5.", "1.2.3", "1e5", "NaN", "inf", "--1", "1-", "12a", "1,,234"] {
            #expect(LocalNumber.decimalText(Substring(text), decimalMark: point) == nil, "\(text)")
        }
        #expect(LocalNumber.decimalText("45.123", decimalMark: comma) == "45123", "with a decimal comma, 45.123 is grouped")
        #expect(LocalNumber.decimalText("45,12", decimalMark: comma) == "45.12")
        #expect(LocalNumber.decimalText("12.34", decimalMark: comma) == nil)
    }

    /// Any amount written with grouping in either locale reads back as the same decimal.
    @Test func propertyGroupedNumbersReadBack() {
        var rng = SimRandom(seed: 16)
        for _ in 0..<5_000 {
            let whole = rng.next() % 10_000_000_000
            let cents = rng.next() % 100
            let digits = String(whole)
            var groups: [String] = []
            var end = digits.endIndex
            while end > digits.startIndex {
                let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
                groups.insert(String(digits[start..<end]), at: 0)
                end = start
            }
            let expected = "\(whole).\(cents < 10 ? "0" : "")\(cents)"
            let pointText = groups.joined(separator: rng.next() % 2 == 0 ? "," : "") + "." + expected.split(separator: ".")[1]
            let commaText = groups.joined(separator: [".", " ", ""][Int(rng.next() % 3)]) + "," + expected.split(separator: ".")[1]
            #expect(LocalNumber.decimalText(Substring(pointText), decimalMark: point) == expected, "\(pointText)")
            #expect(LocalNumber.decimalText(Substring(commaText), decimalMark: comma) == expected, "\(commaText)")
        }
    }

    @Test func timesAsExportsWriteThem() {
        let base = Int64(Timestamp.daysFromCivil(year: 2026, month: 11, day: 29)) * 86_400_000 + (14 * 3600 + 3 * 60) * 1000
        #expect(PurchaseTime.parse("2026-11-29 14:03") == .local(msAsUTC: base))
        #expect(PurchaseTime.parse("2026-11-29T14:03:27") == .local(msAsUTC: base + 27_000))
        #expect(PurchaseTime.parse("2026-11-29T14:03:27.5Z") == .utc(ms: base + 27_500))
        #expect(PurchaseTime.parse("2026-11-29 14:03:00+01:00") == .utc(ms: base - 3_600_000))
        #expect(PurchaseTime.parse("2026-11-29 14:03:00 -0530") == .utc(ms: base + 19_800_000))
        #expect(PurchaseTime.parse("29.11.2026 14:03") == .local(msAsUTC: base))
        #expect(PurchaseTime.parse("1.2.2026 9:05") == .local(msAsUTC: Int64(Timestamp.daysFromCivil(year: 2026, month: 2, day: 1)) * 86_400_000 + (9 * 3600 + 300) * 1000))
        for bad in ["2026-11-29", "29.11.2026", "11/29/2026 14:03", "2026-02-30 10:00", "2026-11-29 24:00", "2026-11-29 14:03 CET", "yesterday", ""] {
            #expect(PurchaseTime.parse(Substring(bad)) == nil, "\(bad)")
        }
    }

    /// RFC 3339 text of any time with any offset reads back as that instant.
    @Test func propertyTimesWithOffsetsReadBack() {
        var rng = SimRandom(seed: 29)
        for _ in 0..<5_000 {
            let ms = Int64(rng.next() % 7_000_000_000_000) / 1000 * 1000
            let offsetMinutes = Int(rng.next() % 1_681) - 840
            let text = Timestamp.formatRFC3339(ms: ms + Int64(offsetMinutes) * 60_000).dropLast(5)  // …HH:MM:SS, no .mmmZ
            let sign = offsetMinutes < 0 ? "-" : "+"
            let h = abs(offsetMinutes) / 60, m = abs(offsetMinutes) % 60
            let zoned = "\(text)\(sign)\(h < 10 ? "0" : "")\(h):\(m < 10 ? "0" : "")\(m)"
            #expect(PurchaseTime.parse(Substring(zoned)) == .utc(ms: ms), "\(zoned)")
        }
    }

    @Test func headersAreReadByTheirNames() throws {
        let c = try PurchaseColumns(header: ["\u{FEFF}Transaction ID", "Card Number", "Vehicle", "Date", "Time", "Quantity (L)", "Amount", "Currency", "Station Name", "Latitude", "Longitude", "Product"])
        #expect(c.index[.externalRef] == 0 && c.index[.cardID] == 1 && c.index[.vehicleID] == 2 && c.index[.volumeL] == 5)
        #expect(c.dateAndTime?.date == 3 && c.dateAndTime?.time == 4 && c.index[.purchasedAt] == nil)
        #expect(c.index[.station] == 8 && c.index[.lat] == 9 && c.index[.lon] == 10 && c.ignored == ["Product"])
        let named = try PurchaseColumns(header: ["Kennzeichen", "Zeit", "Menge"], overrides: [.vehicleID: "Kennzeichen", .purchasedAt: "zeit", .volumeL: "Menge"])
        #expect(named.index[.vehicleID] == 0 && named.index[.purchasedAt] == 1 && named.index[.volumeL] == 2)
        #expect(throws: PurchaseColumns.Problem.self) { try PurchaseColumns(header: ["Vehicle", "Date", "Litres"]) }
        #expect(throws: PurchaseColumns.Problem.self) { try PurchaseColumns(header: ["Vehicle", "Timestamp", "Litres"], overrides: [.amount: "Betrag"]) }
    }

    @Test func aLineBecomesAPurchaseOrSaysWhyNot() throws {
        let c = try PurchaseColumns(header: ["ref", "vehicle", "timestamp", "litres", "amount", "currency", "lat", "lon", "station"])
        let berlin = PurchaseLine.Format(decimalMark: comma) { $0 - 3_600_000 }
        let good = PurchaseLine.parse(["A-1", " TRUCK-7 ", "29.11.2026 14:03", "312,40", "1.543,21", "€", "52,5", "13,4", "Aral Berlin"], c, berlin)
        let base = Int64(Timestamp.daysFromCivil(year: 2026, month: 11, day: 29)) * 86_400_000 + (13 * 3600 + 3 * 60) * 1000
        #expect(good == .success(FuelPurchase(vehicleID: "TRUCK-7", purchasedAtMs: base, volumeL: 312.4, amount: "1543.21", currency: "EUR",
                                              station: "Aral Berlin", lat: 52.5, lon: 13.4, externalRef: "A-1")))
        let noPosition = PurchaseLine.parse(["A-2", "TRUCK-7", "2026-11-29T14:03:00Z", "50", "", "", "0", "0", ""], c, PurchaseLine.Format())
        #expect((try? noPosition.get())?.lat == nil, "0,0 is no position")
        func refusedField(_ fields: [String]) -> String? {
            if case .failure(let r) = PurchaseLine.parse(fields, c, PurchaseLine.Format()) { return r.field }
            return nil
        }
        #expect(refusedField(["x", "", "2026-11-29 14:03", "50"]) == "vehicle_id")
        #expect(refusedField(["x", "TRUCK 7", "2026-11-29 14:03", "50"]) == "vehicle_id")
        #expect(refusedField(["x", "T1", "11/29/2026 14:03", "50"]) == "purchased_at")
        #expect(refusedField(["x", "T1", "2250-01-01 00:00", "50"]) == "purchased_at")
        #expect(refusedField(["x", "T1", "2026-11-29 14:03", "0"]) == "volume_l")
        #expect(refusedField(["x", "T1", "2026-11-29 14:03", "-5"]) == "volume_l")
        #expect(refusedField(["x", "T1", "2026-11-29 14:03", "1e9"]) == "volume_l")
        #expect(refusedField(["x", "T1", "2026-11-29 14:03", "50", "-3"]) == "amount")
        #expect(refusedField(["x", "T1", "2026-11-29 14:03", "50", "3", "euro"]) == "currency")
        #expect(refusedField(["x", "T1", "2026-11-29 14:03", "50", "3", "EUR", "91", "10"]) == "lat/lon")
        #expect(refusedField(["x", "T1", "2026-11-29 14:03", "50", "3", "EUR", "52", ""]) == "lat/lon")
        #expect(refusedField(["x", "T1", "2026-11-29 14:03", "50", "3", "EUR", "", "", String(repeating: "s", count: 201)]) == "station")
        #expect(refusedField(["x\u{0}", "T1", "2026-11-29 14:03", "50"]) == "line")
        #expect(refusedField(["x", "T1", "2026-11-29 14:03"]) == "volume_l", "a short line")
    }
}
