import FleetCore
import Testing

/// Payloads are JSON, and JSON is UTF-8: a message with invalid UTF-8 inside a string is refused
/// `invalid_json` (never stored with its bytes replaced); valid multi-byte text passes.
@Suite struct DecoderUTF8Tests {
    let decoder = PayloadDecoder()

    func decode(_ bytes: [UInt8]) -> DecodedMessage { decoder.decode(topic: "fleet/v1/telemetry", payload: bytes) }

    static func payload(withString s: [UInt8], escaped: Bool = false) -> [UInt8] {
        Array(#"{"ts":1700000000000,"fuel_l":5,"note":""#.utf8) + (escaped ? Array(#"\n"#.utf8) : []) + s + Array(#""}"#.utf8)
    }

    @Test(arguments: [
        [0xFF], [0xC0, 0xAF], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xF0, 0x9F, 0x98],
    ] as [[UInt8]])
    func invalidUTF8InAStringIsRefused(bytes: [UInt8]) {
        for escaped in [false, true] {
            let out = decode(Self.payload(withString: bytes, escaped: escaped))
            #expect(out.readings.isEmpty)
            #expect(out.rejections.map(\.reason) == [.invalidJSON], "\(bytes) escaped: \(escaped)")
            #expect(out.rejections.first?.detail.contains("UTF-8") == true)
        }
    }

    @Test func validMultiByteTextPasses() {
        for text in ["Zürich", "東京", "🚚", "ok"] {
            for escaped in [false, true] {
                let out = decode(Self.payload(withString: Array(text.utf8), escaped: escaped))
                #expect(out.readings.count == 1, "\(text)")
            }
        }
    }

    @Test func invalidUTF8InAnArrayRefusesOnlyItsReading() {
        let bad = Array(#"{"ts":1700000000000,"fuel_l":5,"note":""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        let out = decode(Array("[".utf8) + bad + Array(#",{"ts":1700000001000,"fuel_l":6}]"#.utf8))
        // A syntax error anywhere in the document refuses the whole message: JSON has no way to resync.
        #expect(out.rejections.map(\.reason) == [.invalidJSON])
    }
}
