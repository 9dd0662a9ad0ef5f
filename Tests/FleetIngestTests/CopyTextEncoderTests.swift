import Testing

@testable import FleetIngest

/// COPY text format: what PostgreSQL reads back must be exactly what was written.
@Suite struct CopyTextEncoderTests {
    @Test func escapesWhatCopyTreatsSpecially() {
        var e = CopyTextEncoder()
        e.text("a\tb\nc\\d\re\u{0}f")
        e.null()
        e.int(-42)
        e.int(Int64.min + 1)
        e.double(0.1)
        e.double(.infinity)
        e.bool(true)
        e.bool(nil)
        e.endRow()
        let text = String(decoding: e.bytes, as: UTF8.self)
        #expect(text == "a\\tb\\nc\\\\d\\re\u{FFFD}f\t\\N\t-42\t-9223372036854775807\t0.1\t\\N\tt\t\\N\n")
    }

    @Test func byteaIsHexWithAnEscapedBackslash() {
        var e = CopyTextEncoder()
        [UInt8]([0x00, 0xFF, 0x41]).withUnsafeBytes { e.bytea($0) }
        e.endRow()
        #expect(String(decoding: e.bytes, as: UTF8.self) == "\\\\x00ff41\n")
    }

    @Test func integersMatchTheirDescription() {
        for v: Int64 in [0, 1, -1, 9, 10, 99, 100, 1_700_000_000_123, .max, .min + 1] {
            var e = CopyTextEncoder()
            e.int(v)
            #expect(String(decoding: e.bytes, as: UTF8.self) == String(v))
        }
    }
}

extension CopyTextEncoderTests {
    @Test func timestampsAreUTCWithMicroseconds() {
        for (us, text): (Int64, String) in [
            (0, "1970-01-01 00:00:00.000000+00"),
            (1_700_000_000_123_456, "2023-11-14 22:13:20.123456+00"),
            (951_782_400_000_000, "2000-02-29 00:00:00.000000+00"),
            (7_258_118_399_999_999, "2199-12-31 23:59:59.999999+00"),
            (-1, "1969-12-31 23:59:59.999999+00"),
        ] {
            var e = CopyTextEncoder()
            e.timestamp(epochMicros: us)
            #expect(String(decoding: e.bytes, as: UTF8.self) == text)
        }
    }
}
