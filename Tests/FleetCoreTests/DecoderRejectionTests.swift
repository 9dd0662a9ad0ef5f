import FleetCore
import Testing

/// Every rejection reason README lists, with the detail a person needs.
@Suite struct DecoderRejectionTests {
    let decoder = PayloadDecoder()

    func decode(_ json: String, topic: String = "fleet/truck-7/telemetry") -> DecodedMessage {
        decoder.decode(topic: topic, payload: Array(json.utf8))
    }

    func onlyRejection(_ json: String, topic: String = "fleet/truck-7/telemetry") -> Rejection? {
        let out = decode(json, topic: topic)
        #expect(out.readings.isEmpty)
        #expect(out.rejections.count == 1)
        return out.rejections.first
    }

    @Test(arguments: [
        ("fleet/truck-7", RejectReason.badTopic),
        ("fleet/truck 7/telemetry", .badTopic),
        ("fleet//telemetry", .badTopic),
        ("fleet/\(String(repeating: "a", count: 65))/fuel", .badTopic),
        ("fleet/truck-7/engine", .badTopic),
        ("vehicles/truck-7/fuel", .badTopic),
        ("fleet/truck-7/fuel/extra", .badTopic),
    ])
    func badTopics(topic: String, reason: RejectReason) {
        #expect(onlyRejection(#"{"ts":1700000000000,"fuel_l":10}"#, topic: topic)?.reason == reason)
    }

    @Test func acceptsEveryChannelAndVehicleCharacter() {
        for channel in Channel.allCases {
            let out = decode(#"{"ts":1700000000000,"fuel_l":10}"#, topic: "fleet/A-z_0.9/\(channel.rawValue)")
            #expect(out.readings.first?.channel == channel)
            #expect(out.readings.first?.vehicleID == "A-z_0.9")
        }
    }

    @Test(arguments: [
        "", "{", "[", "{\"ts\":}", "{\"ts\":1700000000000,}", "{\"ts\":1700000000000} x", "nul",
        "{\"ts\":01}", "{\"ts\":1.}", "{\"ts\":-}", "{\"a\":\"\u{01}\"}", "{\"a\":\"\\q\"}", "[{\"ts\":1}",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        "\u{FEFF}{\"ts\":1700000000000,\"fuel_l\":1}",
    ])
    func invalidJSON(_ json: String) {
        let r = onlyRejection(json)
        #expect(r?.reason == .invalidJSON)
        #expect(r?.detail.contains("at byte") == true)
    }

    @Test func wrongTypes() {
        #expect(onlyRejection(#"{"ts":1700000000000,"fuel_l":"12"}"#)?.detail.contains("fuel_l") == true)
        #expect(onlyRejection(#"{"ts":1700000000000,"ignition":1}"#)?.reason == .wrongType)
        #expect(onlyRejection(#"{"ts":1700000000000.5,"fuel_l":1}"#)?.reason == .wrongType)
        #expect(onlyRejection(#"{"ts":true,"fuel_l":1}"#)?.reason == .wrongType)
        #expect(onlyRejection(#"{"ts":1700000000000,"seq":1.5,"fuel_l":1}"#)?.reason == .wrongType)
        #expect(onlyRejection(#"{"ts":1700000000000,"vehicle_id":7,"fuel_l":1}"#)?.reason == .wrongType)
        #expect(onlyRejection(#"42"#)?.reason == .wrongType)
        #expect(onlyRejection(#""text""#)?.reason == .wrongType)
    }

    @Test func missingAndBadTimestamps() {
        #expect(onlyRejection(#"{"fuel_l":1}"#)?.reason == .missingTs)
        #expect(onlyRejection(#"{"ts":null,"fuel_l":1}"#)?.reason == .missingTs)
        #expect(onlyRejection(#"{"ts":"yesterday","fuel_l":1}"#)?.reason == .badTimestamp)
        #expect(onlyRejection(#"{"ts":"2024-02-30T00:00:00Z","fuel_l":1}"#)?.reason == .badTimestamp)
        #expect(onlyRejection(#"{"ts":-5,"fuel_l":1}"#)?.reason == .badTimestamp)
        #expect(onlyRejection(#"{"ts":99999999999999999,"fuel_l":1}"#)?.reason == .badTimestamp)
    }

    @Test func vehicleMismatch() {
        let r = onlyRejection(#"{"ts":1700000000000,"vehicle_id":"truck-8","fuel_l":1}"#)
        #expect(r?.reason == .vehicleMismatch)
        #expect(r?.detail.contains("truck-8") == true)
        #expect(decode(#"{"ts":1700000000000,"vehicle_id":"truck-7","fuel_l":1}"#).readings.count == 1)
        #expect(decode(#"{"ts":1700000000000,"vehicle_id":"truck\u002d7","fuel_l":1}"#).readings.count == 1)
    }

    @Test func sizeAndCountLimits() {
        let small = PayloadDecoder(limits: PayloadLimits(maxBytes: 64, maxReadings: 2))
        let big = small.decode(topic: "fleet/v/fuel", payload: Array((#"{"ts":1700000000000,"fuel_l":1,"pad":""# + String(repeating: "x", count: 100) + #""}"#).utf8))
        #expect(big.rejections.map(\.reason) == [.tooLarge])
        let many = small.decode(topic: "fleet/v/fuel", payload: Array(#"[{"ts":1,"fuel_l":1},{"ts":2,"fuel_l":1},{"ts":3,"fuel_l":1}]"#.utf8))
        #expect(many.readings.isEmpty)
        #expect(many.rejections.map(\.reason) == [.tooManyReadings])
        #expect(onlyRejection("[]")?.reason == .emptyArray)
        #expect(onlyRejection(" [ ] ")?.reason == .emptyArray)
    }

    @Test func noMeasurement() {
        #expect(onlyRejection(#"{"ts":1700000000000}"#)?.reason == .noMeasurement)
        #expect(onlyRejection(#"{"ts":1700000000000,"seq":4,"vehicle_id":"truck-7","unknown":5}"#)?.reason == .noMeasurement)
        #expect(onlyRejection(#"{"ts":1700000000000,"fuel_l":null}"#)?.reason == .noMeasurement)
    }

    @Test func mixedArrayKeepsGoodReadingsAndRejectsEachBadOne() {
        let json = #"[{"ts":1700000000000,"fuel_l":10},{"fuel_l":2},7,{"ts":1700000001000,"odometer_km":"x"},{"ts":1700000002000,"lat":1,"lon":2}]"#
        let out = decode(json)
        #expect(out.readings.map(\.ts) == [1_700_000_000_000, 1_700_000_002_000])
        #expect(out.rejections.map(\.reason) == [.missingTs, .wrongType, .wrongType])
        let bytes = Array(json.utf8)
        let slices = out.rejections.compactMap { $0.range.map { String(decoding: bytes[$0], as: UTF8.self) } }
        #expect(slices == [#"{"fuel_l":2}"#, "7", #"{"ts":1700000001000,"odometer_km":"x"}"#])
        #expect(out.rejections[0].detail.hasPrefix("reading 1:"))
    }
}
