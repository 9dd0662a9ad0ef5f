/// A strict, allocation-free JSON scanner over a byte buffer: just what the payload decoder
/// needs (objects, arrays, strings, numbers, literals) and a validating skip for the rest.
/// Hand-written because the decoder is on the hot path; see `fleet-sim bench-decoder` for the
/// measurement against Foundation's JSONSerialization.
struct JSONCursor {
    let base: UnsafeBufferPointer<UInt8>
    var pos: Int

    static let maxDepth = 64

    init(_ base: UnsafeBufferPointer<UInt8>) {
        self.base = base
        self.pos = 0
    }

    struct SyntaxError: Error {
        var message: String
        var offset: Int
    }

    enum Number {
        case integer(Int64)
        case real(Double)

        var double: Double {
            switch self {
            case .integer(let i): return Double(i)
            case .real(let d): return d
            }
        }
    }

    var atEnd: Bool { pos >= base.count }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < base.count {
            switch base[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    @inline(__always)
    func peek() -> UInt8? { pos < base.count ? base[pos] : nil }

    func error(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: pos) }

    func unexpected() -> SyntaxError {
        guard let b = peek() else { return error("unexpected end of input") }
        if b >= 0x20 && b < 0x7F {
            return error("unexpected character '\(Character(Unicode.Scalar(b)))'")
        }
        return error("unexpected byte 0x\(String(b, radix: 16))")
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8) throws(SyntaxError) {
        skipWhitespace()
        guard peek() == byte else { throw unexpected() }
        pos += 1
    }

    /// Consumes `,` or the closing byte; returns true when the container continues.
    @inline(__always)
    mutating func nextInContainer(closing: UInt8) throws(SyntaxError) -> Bool {
        skipWhitespace()
        guard let b = peek() else { throw unexpected() }
        if b == UInt8(ascii: ",") { pos += 1; return true }
        if b == closing { pos += 1; return false }
        throw unexpected()
    }

    /// Reads a string; returns its raw byte range when it has no escapes, else the decoded text.
    enum StringToken {
        case raw(Range<Int>)
        case decoded(String)
    }

    mutating func readString() throws(SyntaxError) -> StringToken {
        guard peek() == UInt8(ascii: "\"") else { throw unexpected() }
        pos += 1
        let start = pos
        var nonASCII = false
        while pos < base.count {
            let b = base[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                // JSON is UTF-8: a string that is not is refused, never stored with its bytes replaced.
                if nonASCII, String(validating: UnsafeBufferPointer(rebasing: base[start..<(pos - 1)]), as: UTF8.self) == nil {
                    throw error("invalid UTF-8 in string")
                }
                return .raw(start..<(pos - 1))
            }
            if b == UInt8(ascii: "\\") {
                pos = start
                return .decoded(try readEscapedString())
            }
            if b < 0x20 { throw error("control character in string") }
            if b >= 0x80 { nonASCII = true }
            pos += 1
        }
        throw error("unterminated string")
    }

    private mutating func readEscapedString() throws(SyntaxError) -> String {
        var bytes: [UInt8] = []
        while pos < base.count {
            let b = base[pos]
            pos += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: bytes, as: UTF8.self) else { throw error("invalid UTF-8 in string") }
                return s
            case UInt8(ascii: "\\"):
                guard let e = peek() else { throw error("unterminated string") }
                pos += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar),
                        pos + 1 < base.count, base[pos] == UInt8(ascii: "\\"), base[pos + 1] == UInt8(ascii: "u")
                    {
                        pos += 2
                        let low = try readHex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            scalar = 0xFFFD
                        }
                    }
                    let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    bytes.append(contentsOf: String(Character(s)).utf8)
                default:
                    pos -= 1
                    throw error("invalid escape")
                }
            default:
                if b < 0x20 { pos -= 1; throw error("control character in string") }
                bytes.append(b)
            }
        }
        throw error("unterminated string")
    }

    private mutating func readHex4() throws(SyntaxError) -> UInt32 {
        guard pos + 4 <= base.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = base[pos]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Reads a JSON number. Integers without fraction or exponent that fit Int64 stay exact;
    /// others use Clinger's fast path when exact, else the standard library's parser.
    mutating func readNumber() throws(SyntaxError) -> Number {
        let start = pos
        var negative = false
        if peek() == UInt8(ascii: "-") { negative = true; pos += 1 }
        guard let first = peek(), isDigit(first) else { throw unexpected() }
        var mantissa: UInt64 = 0
        var digits = 0
        var overflow = false
        if first == UInt8(ascii: "0") {
            pos += 1
            if let n = peek(), isDigit(n) { throw error("leading zero in number") }
        } else {
            while let b = peek(), isDigit(b) {
                accumulate(b, &mantissa, &digits, &overflow)
                pos += 1
            }
        }
        var fractionDigits = 0
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard let b = peek(), isDigit(b) else { throw unexpected() }
            while let b = peek(), isDigit(b) {
                accumulate(b, &mantissa, &digits, &overflow)
                fractionDigits += 1
                pos += 1
            }
        }
        var exponent = 0
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            var expNegative = false
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") {
                expNegative = s == UInt8(ascii: "-")
                pos += 1
            }
            guard let b = peek(), isDigit(b) else { throw unexpected() }
            while let b = peek(), isDigit(b) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(b - UInt8(ascii: "0")) }
                pos += 1
            }
            if expNegative { exponent = -exponent }
        }
        if isInteger && !overflow && mantissa <= UInt64(Int64.max) {
            let v = Int64(mantissa)
            return .integer(negative ? -v : v)
        }
        let scale = exponent - fractionDigits
        if !overflow && digits <= 15 && abs(scale) <= 22 {
            var d = Double(mantissa)
            d = scale >= 0 ? d * Self.exactPowersOfTen[scale] : d / Self.exactPowersOfTen[-scale]
            return .real(negative ? -d : d)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: base[start..<pos]), as: UTF8.self)
        return .real(Double(text) ?? (negative ? -.infinity : .infinity))
    }

    @inline(__always)
    private func accumulate(_ b: UInt8, _ mantissa: inout UInt64, _ digits: inout Int, _ overflow: inout Bool) {
        if mantissa == 0 && b == UInt8(ascii: "0") && digits == 0 { return }
        digits += 1
        if digits > 19 { overflow = true; return }
        mantissa = mantissa &* 10 &+ UInt64(b - UInt8(ascii: "0"))
    }

    @inline(__always)
    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Reads `true`, `false` or `null`; returns the byte it started with.
    mutating func readLiteral() throws(SyntaxError) -> UInt8 {
        guard let b = peek() else { throw unexpected() }
        let word: StaticString
        switch b {
        case UInt8(ascii: "t"): word = "true"
        case UInt8(ascii: "f"): word = "false"
        case UInt8(ascii: "n"): word = "null"
        default: throw unexpected()
        }
        let n = word.utf8CodeUnitCount
        guard pos + n <= base.count else { throw error("truncated literal") }
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        for i in 0..<n where base[pos + i] != w[i] { throw error("invalid literal") }
        pos += n
        return b
    }

    /// Validates and skips one value of any kind.
    mutating func skipValue(depth: Int = 0) throws(SyntaxError) {
        skipWhitespace()
        guard let b = peek() else { throw unexpected() }
        switch b {
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
            pos += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { pos += 1; return }
            repeat {
                skipWhitespace()
                _ = try readString()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
            } while try nextInContainer(closing: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
            pos += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { pos += 1; return }
            repeat {
                try skipValue(depth: depth + 1)
            } while try nextInContainer(closing: UInt8(ascii: "]"))
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try readNumber()
        default:
            _ = try readLiteral()
        }
    }

    func bytesEqual(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard range.count == n else { return false }
        let p = literal.utf8Start
        for i in 0..<n where base[range.lowerBound + i] != p[i] { return false }
        return true
    }
}
