/// Hand-written JSON number and field output into a byte buffer: the hot path of both
/// scenario and load mode, where Foundation's encoders would cost more than the physics.
enum JSONBytes {
    @inline(__always)
    static func appendInt(_ value: Int64, to buf: inout [UInt8]) {
        var v = value
        if v < 0 {
            buf.append(UInt8(ascii: "-"))
            v = -v
        }
        if v < 10 {
            buf.append(UInt8(48 + v))
            return
        }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch on the stack
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { scratch in
            while v > 0 {
                scratch[n] = UInt8(48 + v % 10)
                v /= 10
                n += 1
            }
            for i in stride(from: n - 1, through: 0, by: -1) { buf.append(scratch[i]) }
        }
    }

    static let pow10: [Double] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000]

    /// A fixed-point number with `decimals` digits after the point (trailing zeros kept short).
    @inline(__always)
    static func appendFixed(_ value: Double, decimals: Int, to buf: inout [UInt8]) {
        let scale = pow10[decimals]
        let scaled = Int64((abs(value) * scale).rounded())
        if value < 0 && scaled != 0 { buf.append(UInt8(ascii: "-")) }
        let whole = scaled / Int64(scale)
        var frac = scaled - whole * Int64(scale)
        appendInt(whole, to: &buf)
        guard frac != 0 else { return }
        var digits = decimals
        while frac % 10 == 0 {
            frac /= 10
            digits -= 1
        }
        buf.append(UInt8(ascii: "."))
        // Leading zeros of the fraction.
        var lead = Int64(pow10[digits - 1])
        while lead > frac && lead > 1 {
            buf.append(UInt8(ascii: "0"))
            lead /= 10
        }
        appendInt(frac, to: &buf)
    }

    @inline(__always)
    static func appendKey(_ key: StaticString, to buf: inout [UInt8], first: Bool) {
        if !first { buf.append(UInt8(ascii: ",")) }
        buf.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { buf.append(contentsOf: $0) }
        buf.append(UInt8(ascii: "\""))
        buf.append(UInt8(ascii: ":"))
    }
}
