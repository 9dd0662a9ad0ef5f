/// Builds PostgreSQL `COPY … FROM STDIN (FORMAT binary)` data in one growing byte buffer.
///
/// Readings are copied in binary: a float goes over as its 8 (or 4) bytes instead of being formatted
/// by fleetd and parsed again by `float8in`, and a time as its microseconds instead of a date string.
/// Text fields carry raw UTF-8 (no escapes); only validated text (vehicle ids, channel names) is
/// written here, since binary `text` refuses a NUL that the text format's encoder replaces.
struct CopyBinaryEncoder {
    private(set) var bytes: [UInt8] = []
    private(set) var rows = 0

    /// `PGCOPY\n\377\r\n\0`, no flags, no header extension.
    static let header: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]

    /// PostgreSQL's timestamps count microseconds from 2000-01-01 00:00:00 UTC.
    static let postgresEpochMicros: Int64 = 946_684_800_000_000

    init(reservingCapacity n: Int = 0) {
        bytes.reserveCapacity(max(n, Self.header.count + 2))
        bytes.append(contentsOf: Self.header)
    }

    mutating func removeAll() {
        bytes.removeSubrange(Self.header.count...)
        rows = 0
        ended = false
    }

    private var ended = false

    /// Appends the trailer: `bytes` is then what one COPY sends. Rows may not follow until `removeAll`.
    mutating func end() {
        guard !ended else { return }
        ended = true
        bigEndian(Int16(-1))
    }

    mutating func beginRow(fields: Int) {
        precondition(!ended, "a row after the COPY's trailer")
        rows += 1
        bigEndian(UInt16(fields))
    }

    @inline(__always)
    private mutating func bigEndian<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func null() { bigEndian(Int32(-1)) }

    /// Text known to be valid UTF-8 without NUL (validated vehicle ids, channel names).
    mutating func plain(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            bigEndian(Int32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// `bytea`: the bytes as they are.
    mutating func bytea(_ data: [UInt8]) {
        bigEndian(Int32(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func int(_ v: Int64?) {
        guard let v else { return null() }
        bigEndian(Int32(8))
        bigEndian(v)
    }

    /// `int4`.
    mutating func int32(_ v: Int32) {
        bigEndian(Int32(4))
        bigEndian(v)
    }

    /// `float8`; a non-finite value (the decoder drops them) is stored as NULL, as the text encoder does.
    mutating func double(_ v: Double?) {
        guard let v, v.isFinite else { return null() }
        bigEndian(Int32(8))
        bigEndian(v.bitPattern)
    }

    /// `float4`: the value rounded to single precision, as `float4in` rounds its decimal text.
    mutating func float(_ v: Double?) {
        guard let v, case let f = Float(v), f.isFinite else { return null() }
        bigEndian(Int32(4))
        bigEndian(f.bitPattern)
    }

    mutating func bool(_ v: Bool?) {
        guard let v else { return null() }
        bigEndian(Int32(1))
        bytes.append(v ? 1 : 0)
    }

    /// A `date` from days since 1970-01-01 (days since 2000-01-01 on the wire).
    mutating func date(daysSince1970 d: Int64) {
        bigEndian(Int32(4))
        bigEndian(Int32(clamping: d - 10_957))
    }

    /// A `timestamptz` from Unix epoch microseconds.
    mutating func timestamp(epochMicros us: Int64) {
        bigEndian(Int32(8))
        bigEndian(us - Self.postgresEpochMicros)
    }
}
