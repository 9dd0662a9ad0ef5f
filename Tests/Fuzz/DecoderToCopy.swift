// libFuzzer target: an MQTT message through the payload decoder into the binary COPY data of `readings`.
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

    // The binary COPY data is well formed: the header, one tuple of 15 fields per reading, each field's
    // length as its type needs (text: UTF-8 without NUL), the trailer, and nothing after it.
    var copy = CopyBinaryEncoder()
    for r in out.readings { copy.readingRow(r, receivedAtNanos: 1_700_000_000_000_000_000) }
    copy.end()
    let b = copy.bytes
    if !b.starts(with: CopyBinaryEncoder.header) { fail("header") }
    var at = CopyBinaryEncoder.header.count
    func take(_ n: Int) -> ArraySlice<UInt8> {
        if n < 0 || at + n > b.count { fail("field runs past the data") }
        defer { at += n }
        return b[at..<(at + n)]
    }
    func be(_ s: ArraySlice<UInt8>) -> Int64 { s.reduce(0) { $0 << 8 | Int64($1) } }
    // float4 for fuel_pct, speed_kmh and heading_deg; text for the first two; bool for ignition; int4
    // for partition_key.
    let widths: [Int?] = [nil, nil, 8, 8, 8, 8, 4, 8, 8, 8, 4, 4, 1, 8, 4]
    for _ in out.readings {
        if be(take(2)) != 15 { fail("field count") }
        for w in widths {
            let n = Int(Int32(truncatingIfNeeded: be(take(4))))
            if n == -1 { continue }
            let field = take(n)
            if let w {
                if n != w { fail("field of \(n) bytes where \(w) are due") }
            } else if field.contains(0) || String(validating: field, as: UTF8.self) == nil {
                fail("text field is not UTF-8 without NUL")
            }
        }
    }
    if take(2) != [0xFF, 0xFF] || at != b.count { fail("trailer") }
    return 0
}
