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

    @Test func readingsRefusalsAndPositionAccumulate() {
        var batch = IngestBatch()
        let decoder = PayloadDecoder()
        withRecord("fleet/v1/fuel", #"[{"ts":1,"fuel_l":2},{"fuel_l":3}]"#, next: 100) { batch.add($0, decoder: decoder, now: .now) }
        withRecord("fleet/v1/fuel", "oops", next: 200) { batch.add($0, decoder: decoder, now: .now) }
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
        let big = String(repeating: "x", count: 5000)
        withRecord("fleet/v1/fuel", big, next: 10, original: 300_000) { batch.add($0, decoder: PayloadDecoder(), now: .now) }
        #expect(batch.rejected.map(\.reason) == [.tooLarge])
        #expect(batch.rejected[0].payload.count == 4096)
    }
}
