/// Purchase times as card exports write them: ISO 8601 (`2026-11-29 14:03`, `2026-11-29T14:03:27Z`,
/// `…+01:00`, `…+0100`, fractions) or day first with dots (`29.11.2026 14:03[:27]`). Slashed dates
/// are refused: 03/04/2026 is March in one country and April in the next.
public enum PurchaseTime {
    /// A time with its UTC offset, or a wall-clock time whose zone the importer supplies.
    public enum Parsed: Equatable, Sendable {
        case utc(ms: Int64)
        /// The wall-clock time read as if it were UTC.
        case local(msAsUTC: Int64)
    }

    public static func parse(_ text: Substring) -> Parsed? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard b.count - i >= n else { return nil }
            var v = 0
            for k in 0..<n {
                guard b[i + k] >= 48 && b[i + k] <= 57 else { return nil }
                v = v * 10 + Int(b[i + k] - 48)
            }
            i += n
            return v
        }
        func take(_ allowed: UInt8...) -> Bool {
            guard i < b.count, allowed.contains(b[i]) else { return false }
            i += 1
            return true
        }
        let year: Int, month: Int, day: Int
        if b.count >= 10, b[4] == UInt8(ascii: "-") {
            guard let y = digits(4), take(45), let m = digits(2), take(45), let d = digits(2) else { return nil }
            (year, month, day) = (y, m, d)
        } else {
            // Day and month may have one digit: 1.2.2026.
            func short() -> Int? {
                if let two = digits(2) { return two }
                return digits(1)
            }
            guard let d = short(), take(46), let m = short(), take(46), let y = digits(4) else { return nil }
            (year, month, day) = (y, m, d)
        }
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year) else { return nil }
        // A date alone is not a purchase time: matching needs the hour.
        guard take(UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")) else { return nil }
        while take(UInt8(ascii: " ")) {}
        guard let hour = hourDigits(&i, b), take(58), let minute = digits(2) else { return nil }
        var second = 0, millis = 0
        if take(58) {
            guard let s = digits(2) else { return nil }
            second = s
            if take(46, 44) {
                var n = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if n < 3 { millis = millis * 10 + Int(b[i] - 48) }
                    n += 1
                    i += 1
                }
                guard n > 0 else { return nil }
                for _ in n..<max(n, 3) { millis *= 10 }
            }
        }
        guard hour <= 23, minute <= 59, second <= 60 else { return nil }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        let ms = Int64(days * 86_400 + hour * 3_600 + minute * 60 + min(second, 59)) * 1_000 + Int64(millis)
        if i == b.count { return .local(msAsUTC: ms) }
        while take(UInt8(ascii: " ")) {}
        if take(90, 122) { return i == b.count ? .utc(ms: ms) : nil }
        guard i < b.count, b[i] == 43 || b[i] == 45 else { return nil }
        let sign = b[i] == 45 ? -1 : 1
        i += 1
        guard let oh = digits(2) else { return nil }
        _ = take(58)
        guard let om = digits(2), oh <= 23, om <= 59, i == b.count else { return nil }
        return .utc(ms: ms - Int64(sign * (oh * 60 + om) * 60_000))
    }

    /// One or two digits of hour (`9:05` and `09:05`).
    private static func hourDigits(_ i: inout Int, _ b: [UInt8]) -> Int? {
        var v = 0, n = 0
        while i < b.count, n < 2, b[i] >= 48, b[i] <= 57 {
            v = v * 10 + Int(b[i] - 48)
            n += 1
            i += 1
        }
        return n > 0 ? v : nil
    }
}
