import FleetCore
import Testing

@testable import FleetIngest

/// COPY binary format: the layout PostgreSQL documents, byte for byte.
@Suite struct CopyBinaryEncoderTests {
    @Test func aRowIsItsFieldCountThenEachFieldsLengthAndBigEndianValue() {
        var e = CopyBinaryEncoder()
        e.beginRow(fields: 6)
        e.plain("v1")
        e.int(-2)
        e.double(1.5)
        e.float(nil)
        e.bool(true)
        e.timestamp(epochMicros: CopyBinaryEncoder.postgresEpochMicros + 1)
        e.end()
        #expect(e.rows == 1)
        #expect(Array(e.bytes.prefix(19)) == Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [UInt8](repeating: 0, count: 8))
        #expect(Array(e.bytes.dropFirst(19)) == [
            0x00, 0x06,
            0, 0, 0, 2, 0x76, 0x31,
            0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
            0, 0, 0, 8, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0,
            0xFF, 0xFF, 0xFF, 0xFF,
            0, 0, 0, 1, 1,
            0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1,
            0xFF, 0xFF,
        ])
    }

    @Test func float4IsTheValueRoundedToSinglePrecisionAndNonFiniteIsNull() {
        var e = CopyBinaryEncoder()
        e.float(0.1)
        e.float(.infinity)
        e.double(.nan)
        #expect(Array(e.bytes.dropFirst(19)) == [0, 0, 0, 4, 0x3D, 0xCC, 0xCC, 0xCD] + [UInt8](repeating: 0xFF, count: 8))
    }

    @Test func removeAllKeepsTheHeaderAndAllowsRowsAgain() {
        var e = CopyBinaryEncoder()
        e.readingRow(Reading(vehicleID: "v1", channel: .telemetry, ts: 0, fuelL: 1), receivedAtNanos: 0)
        e.end()
        e.removeAll()
        #expect(e.bytes == CopyBinaryEncoder.header && e.rows == 0)
        e.readingRow(Reading(vehicleID: "v1", channel: .telemetry, ts: 0, fuelL: 1), receivedAtNanos: 0)
        #expect(e.rows == 1)
    }
}
