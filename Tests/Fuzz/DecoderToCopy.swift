// libFuzzer target: an MQTT message through the payload decoder into the COPY text of `readings`.
// Built and run by Tests/Fuzz/run.sh. The first input byte picks the topic, the rest is the payload.
import FleetCore

let topics = ["fleet/v1/telemetry", "fleet/v1/fuel", "fleet/v1/odometer", "fleet/v1/gps", "fleet/truck-7.b_2/fuel", "fleet//gps", "other/v1/fuel"]
// Small, so arrays at and past the limit are near every seed.
let maxReadings = 8
let decoder = PayloadDecoder(limits: PayloadLimits(maxBytes: 64 * 1024, maxReadings: maxReadings))

func fail(_ what: String) -> Never { fatalError("invariant broken: \(what)") }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let topic = topics[Int(data[0]) % topics.count]
    let payload = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var out = DecodedMessage()
    decoder.decode(topic: topic, payload: payload, into: &out)

    // Every message is accounted for: readings kept plus refusals, at least one, at most one per
    // allowed reading.
    let outcomes = out.readings.count + out.rejections.count
    if outcomes < 1 || outcomes > maxReadings { fail("\(outcomes) outcomes") }
    for r in out.readings {
        // Identity comes from the topic only; values kept are finite (impossible ones were dropped).
        if "fleet/\(r.vehicleID)/\(r.channel.rawValue)" != topic { fail("identity \(r.vehicleID)") }
        for v in [r.fuelL, r.fuelPct, r.odometerKm, r.lat, r.lon, r.speedKmh, r.headingDeg, r.engineHours] {
            if let v, !v.isFinite { fail("non-finite value") }
        }
    }
    for rejection in out.rejections where rejection.detail.isEmpty { fail("refusal without a detail") }

    // The COPY text is well formed: one line per reading, 14 tab-separated fields, no raw control bytes.
    var copy = CopyTextEncoder()
    for r in out.readings { copy.readingRow(r, receivedAtNanos: 1_700_000_000_000_000_000) }
    let lines = copy.bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    if lines.count != out.readings.count + 1 || !(lines.last?.isEmpty ?? false) { fail("rows") }
    for line in lines.dropLast() {
        if line.reduce(0, { $0 + ($1 == 0x09 ? 1 : 0) }) != 13 { fail("fields") }
        if line.contains(where: { $0 < 0x20 && $0 != 0x09 }) { fail("control byte in a field") }
        if String(validating: line, as: UTF8.self) == nil { fail("COPY text is not UTF-8") }
    }
    return 0
}
