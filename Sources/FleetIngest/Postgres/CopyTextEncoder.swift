import FleetCore

/// Builds PostgreSQL `COPY … FROM STDIN` text-format rows in one growing byte buffer.
struct CopyTextEncoder {
    private(set) var bytes: [UInt8] = []
    private var fieldStarted = false

    init(reservingCapacity n: Int = 0) { bytes.reserveCapacity(n) }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        fieldStarted = false
    }

    @inline(__always)
    private mutating func separate() {
        if fieldStarted { bytes.append(0x09) }
        fieldStarted = true
    }

    mutating func endRow() {
        bytes.append(0x0A)
        fieldStarted = false
    }

    mutating func null() {
        separate()
        bytes.append(0x5C)
        bytes.append(UInt8(ascii: "N"))
    }

    /// Text with COPY's escapes; NUL, which PostgreSQL text cannot hold, becomes U+FFFD.
    mutating func text(_ s: String) {
        separate()
        for b in s.utf8 {
            switch b {
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0x00: bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
            default: bytes.append(b)
            }
        }
    }

    /// Text known to need no escaping (validated vehicle ids, channel names).
    mutating func plain(_ s: String) {
        separate()
        bytes.append(contentsOf: s.utf8)
    }

    mutating func int(_ v: Int64) {
        separate()
        if v == 0 { bytes.append(UInt8(ascii: "0")); return }
        var n = v.magnitude
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while n > 0 {
                buf[count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(buf[i]) }
        }
    }

    mutating func int(_ v: Int64?) { if let v { int(v) } else { null() } }

    /// Finite doubles only (the decoder drops the rest); shortest round-trip form.
    mutating func double(_ v: Double?) {
        guard let v, v.isFinite else { return null() }
        separate()
        bytes.append(contentsOf: v.description.utf8)
    }

    mutating func bool(_ v: Bool?) {
        guard let v else { return null() }
        separate()
        bytes.append(v ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// A `timestamptz` in UTC with microseconds: `2023-11-14 22:13:20.123456+00`.
    mutating func timestamp(epochMicros us: Int64) {
        separate()
        let days = Int(us >= 0 ? us / 86_400_000_000 : (us - 86_399_999_999) / 86_400_000_000)
        let inDay = Int(us - Int64(days) * 86_400_000_000)
        let (year, month, day) = Timestamp.civil(days: days)
        digits(year, 4); bytes.append(UInt8(ascii: "-"))
        digits(month, 2); bytes.append(UInt8(ascii: "-"))
        digits(day, 2); bytes.append(UInt8(ascii: " "))
        let seconds = inDay / 1_000_000
        digits(seconds / 3600, 2); bytes.append(UInt8(ascii: ":"))
        digits(seconds / 60 % 60, 2); bytes.append(UInt8(ascii: ":"))
        digits(seconds % 60, 2); bytes.append(UInt8(ascii: "."))
        digits(inDay % 1_000_000, 6)
        bytes.append(contentsOf: [UInt8(ascii: "+"), UInt8(ascii: "0"), UInt8(ascii: "0")])
    }

    /// `v` zero-padded to `width` digits (v ≥ 0).
    private mutating func digits(_ v: Int, _ width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = v
        if rest >= divisor * 10 { bytes.append(contentsOf: String(v).utf8); return }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// bytea in hex form; the backslash itself is escaped for COPY.
    mutating func bytea(_ data: UnsafeRawBufferPointer) {
        separate()
        bytes.append(contentsOf: [0x5C, 0x5C, UInt8(ascii: "x")])
        Self.hexDigits(data, into: &bytes)
    }

    /// Bytes as lowercase hex digits: the body of PostgreSQL's bytea hex format.
    static func hexDigits(_ data: some Sequence<UInt8>, into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for b in data {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0x0F)])
        }
    }
}
