import FleetCore
import Foundation
import Testing

@testable import FleetIngest

/// A batch gathers decoded readings, refusals (with the refused bytes) and the spool position.
@Suite struct IngestBatchTests {
    func withRecord(_ topic: String, _ payload: String, next: UInt64, original: Int? = nil, _ body: (SpoolRecord) -> Void) {
        let bytes = Array(payload.utf8)
        bytes.withUnsafeBytes { p in
            body(SpoolRecord(position: 0, next: next, receivedAtNanos: 7, topic: topic, payload: p, originalLength: original ?? bytes.count))
        }
    }

    static var unlimited: RejectionBudget { RejectionBudget(perMinute: .max) }

    @Test func readingsRefusalsAndPositionAccumulate() {
        var batch = IngestBatch()
        var budget = Self.unlimited
        let decoder = PayloadDecoder()
        withRecord("fleet/v1/fuel", #"[{"ts":1,"fuel_l":2},{"fuel_l":3}]"#, next: 100) { batch.add($0, decoder: decoder, now: .now, budget: &budget) }
        withRecord("fleet/v1/fuel", "oops", next: 200) { batch.add($0, decoder: decoder, now: .now, budget: &budget) }
        #expect(batch.decoded.readings.count == 1)
        #expect(batch.receivedAtNanos == [7])
        #expect(batch.rejected.map(\.reason) == [.missingTs, .invalidJSON])
        #expect(batch.rejected[0].payload == Array(#"{"fuel_l":3}"#.utf8))
        #expect(batch.rejected[1].payload == Array("oops".utf8))
        #expect(batch.decoded.rejections.isEmpty, "refusals move to rows")
        #expect(batch.endPosition == 200 && batch.messages == 2 && batch.rowCount == 3)
        batch.removeAll()
        #expect(batch.isEmpty && batch.rowCount == 0 && batch.openedAt == nil)
    }

    @Test func aCutPayloadIsRejectedTooLargeWithItsFirst4KiB() {
        var batch = IngestBatch()
        var budget = Self.unlimited
        let big = String(repeating: "x", count: 5000)
        withRecord("fleet/v1/fuel", big, next: 10, original: 300_000) { batch.add($0, decoder: PayloadDecoder(), now: .now, budget: &budget) }
        #expect(batch.rejected.map(\.reason) == [.tooLarge])
        #expect(batch.rejected[0].payload.count == 4096)
    }

    @Test func aFloodOfEmptyObjectsIsOneRowAndExactMetrics() {
        var batch = IngestBatch()
        var budget = Self.unlimited
        let flood = "[" + Array(repeating: "{}", count: 1_000).joined(separator: ",") + "]"
        withRecord("fleet/v1/fuel", flood, next: 10) { batch.add($0, decoder: PayloadDecoder(), now: .now, budget: &budget) }
        #expect(batch.rejected.count == 1)
        #expect(batch.rejected[0].readingsRefused == 1_000)
        #expect(batch.rejected[0].reasons == [batch.rejected[0].reason])
        #expect(batch.rejected[0].payload == Array(flood.utf8), "the whole message when several readings were refused")
        #expect(batch.refusals.values.reduce(0, +) == 1_000, "every refused reading counts in the metrics")
    }

    @Test func theBudgetStoresSomeRowsPerVehicleAndMinuteAndCountsTheRest() {
        var batch = IngestBatch()
        var budget = RejectionBudget(perMinute: 3)
        let decoder = PayloadDecoder()
        func send(_ topic: String, atMs ms: Int64, times: Int) {
            for _ in 0..<times {
                let bytes = Array("oops".utf8)
                bytes.withUnsafeBytes { p in
                    batch.add(SpoolRecord(position: 0, next: 8, receivedAtNanos: ms * 1_000_000, topic: topic, payload: p, originalLength: 4),
                              decoder: decoder, now: .now, budget: &budget)
                }
            }
        }
        send("fleet/loud/fuel", atMs: 60_000, times: 10)
        send("fleet/loud/gps", atMs: 61_000, times: 2)
        send("fleet/quiet/fuel", atMs: 62_000, times: 2)
        send("fleet/loud/fuel", atMs: 120_000, times: 1)  // the next minute
        #expect(batch.rejected.map(\.topic).filter { $0.hasPrefix("fleet/loud/") }.count == 4)
        #expect(batch.rejected.map(\.topic).filter { $0.hasPrefix("fleet/quiet/") }.count == 2)
        #expect(batch.overBudget == 9)
        #expect(batch.refusals[.invalidJSON] == 15)
    }
}
