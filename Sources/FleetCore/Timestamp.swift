/// Device timestamps: RFC 3339 text to Unix epoch milliseconds, and the accepted range.
public enum Timestamp {
    /// 1970-01-01 up to 2200-01-01: anything outside is a broken clock, not a measurement.
    public static let validRange: Range<Int64> = 0..<7_258_118_400_000

    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `t`, `z` and a space separator are accepted
    /// as RFC 3339 allows. Fractions beyond milliseconds are truncated.
    public static func parseRFC3339<C: Collection<UInt8>>(_ text: C) -> Int64? where C.Index == Int {
        var i = text.startIndex
        let end = text.endIndex
        func digits(_ n: Int) -> Int? {
            guard end - i >= n else { return nil }
            var v = 0
            for k in 0..<n {
                let b = text[i + k]
                guard b >= 48 && b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            i += n
            return v
        }
        func take(_ allowed: UInt8...) -> Bool {
            guard i < end, allowed.contains(text[i]) else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take(45), let month = digits(2), take(45), let day = digits(2),
            take(84, 116, 32), let hour = digits(2), take(58), let minute = digits(2), take(58),
            let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var millis = 0
        if i < end, text[i] == 46 {
            i += 1
            var n = 0
            while i < end, text[i] >= 48, text[i] <= 57 {
                if n < 3 { millis = millis * 10 + Int(text[i] - 48) }
                n += 1
                i += 1
            }
            guard n > 0 else { return nil }
            for _ in n..<max(n, 3) { millis *= 10 }
        }
        var offsetMinutes = 0
        guard i < end else { return nil }
        if text[i] == 90 || text[i] == 122 {
            i += 1
        } else if text[i] == 43 || text[i] == 45 {
            let sign = text[i] == 45 ? -1 : 1
            i += 1
            guard let oh = digits(2), take(58), let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
        } else {
            return nil
        }
        guard i == end else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + min(second, 59) - offsetMinutes * 60
        return Int64(seconds) * 1_000 + Int64(millis)
    }

    /// The UTC day (days since 1970-01-01, rounded down) of a time in Unix epoch milliseconds.
    public static func day(ms: Int64) -> Int64 {
        ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
    }

    /// `2023-11-14T22:13:20.123Z`: UTC with milliseconds, exact (no floating-point seconds).
    public static func formatRFC3339(ms: Int64) -> String {
        let day = Self.day(ms: ms)
        let rest = Int(ms - day * 86_400_000)
        let (y, mo, d) = civil(days: Int(day))
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(mo, 2))-\(pad(d, 2))T\(pad(rest / 3_600_000, 2)):\(pad(rest / 60_000 % 60, 2)):\(pad(rest / 1000 % 60, 2)).\(pad(rest % 1000, 3))Z"
    }

    /// Howard Hinnant's civil_from_days: (year, month, day) of a day count since 1970-01-01.
    public static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
