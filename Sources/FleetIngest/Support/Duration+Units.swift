/// A `Duration` in the units logs, settings and SQL take.
extension Duration {
    /// Whole milliseconds, rounded towards zero.
    var wholeMilliseconds: Int64 {
        let c = components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }

    /// Seconds to a tenth, for log fields ("12.3").
    var secondsText: String {
        let c = components
        let tenths = (c.seconds * 10 + c.attoseconds / 100_000_000_000_000_000)
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}
