import Foundation

/// Parsers for the text forms settings take in flags, environment and the config file.
/// Each returns nil when the text is not of its form.
enum ConfigValueParsers {
    /// `250ms`, `10s`, `5m`, `2h`, `7d`, or a plain number of seconds; nil beyond a century (a
    /// conversion to whole milliseconds that cannot trap).
    static func duration(_ text: String) -> Duration? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var number = Substring(t), scale = 1.0
        if let (suffix, s) = units.first(where: { t.hasSuffix($0.0) }) {
            number = t.dropLast(suffix.count)
            scale = s
        }
        guard let v = Double(number), v.isFinite, v >= 0, v * scale <= maxDurationSeconds,
              let ms = Int64(exactly: (v * scale * 1000).rounded())
        else { return nil }
        return .milliseconds(ms)
    }

    static let maxDurationSeconds = 100 * 365.25 * 86_400

    /// `256MiB`, `1GiB`, `512KiB`, `64MB`, or a plain number of bytes.
    static func size(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, UInt64)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000),
            ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30),
        ]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v.isFinite, v > 0 else { return nil }
            // Beyond 2^64 bytes is no size: nil, not a trap.
            return UInt64(exactly: (v * Double(scale)).rounded(.down))
        }
        return UInt64(t)
    }

    /// `host:port`, `[v6]:port`; port 0 means any free port.
    static func hostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }
}
