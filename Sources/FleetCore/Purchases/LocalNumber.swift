/// Numbers as card exports write them, with the file's decimal mark: `1234.5` or `1,234.50` with a
/// point; `1234,5`, `1.234,50` or `1 234,50` with a comma; an optional sign. The result is plain
/// decimal text (`1234.50`), exact for money. A file says its mark once (a `;`-separated export
/// writes decimal commas), because `1,234` alone is a thousand in one locale and a litre in another.
public enum LocalNumber {
    /// Plain decimal text, or nil when `text` is not a number written with `decimalMark`
    /// (`.` or `,`; the other one, a space or a no-break space may group thousands).
    public static func decimalText(_ text: Substring, decimalMark: UInt8) -> String? {
        let grouping: UInt8 = decimalMark == UInt8(ascii: ",") ? UInt8(ascii: ".") : UInt8(ascii: ",")
        var digits: [UInt8] = []
        var groups: [Int] = []  // digits before each grouping mark
        var decimalAt: Int?
        var sign: UInt8?
        var pendingNoBreak = false
        for b in text.utf8 {
            if pendingNoBreak {
                guard b == 0xA0 else { return nil }
                pendingNoBreak = false
                groups.append(digits.count)
                continue
            }
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits.append(b)
            case decimalMark:
                guard decimalAt == nil, !digits.isEmpty else { return nil }
                decimalAt = digits.count
            case grouping, UInt8(ascii: " "):
                guard decimalAt == nil else { return nil }
                groups.append(digits.count)
            case 0xC2:  // the first byte of a no-break space (C2 A0)
                guard decimalAt == nil else { return nil }
                pendingNoBreak = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                guard digits.isEmpty, groups.isEmpty, decimalAt == nil, sign == nil else { return nil }
                sign = b
            default:
                return nil
            }
        }
        guard !pendingNoBreak, !digits.isEmpty, digits.count <= 30, decimalAt != digits.count else { return nil }
        // Grouping marks stand every three digits of the whole part: 1,234,567 but not 12,34.
        let whole = decimalAt ?? digits.count
        var next = whole
        for g in groups.reversed() {
            guard g > 0, next - g == 3 else { return nil }
            next = g
        }
        if let first = groups.first, first > 3 { return nil }
        var out = sign == UInt8(ascii: "-") ? "-" : ""
        out += String(decoding: digits[..<whole], as: UTF8.self)
        if let d = decimalAt { out += "." + String(decoding: digits[d...], as: UTF8.self) }
        return out
    }

    public static func double(_ text: Substring, decimalMark: UInt8) -> Double? {
        decimalText(text, decimalMark: decimalMark).flatMap(Double.init)
    }
}
