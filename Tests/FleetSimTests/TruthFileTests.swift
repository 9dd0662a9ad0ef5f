import Foundation
import Testing
@testable import FleetSim

@Suite struct TruthFileTests {
    @Test func writtenTruthReadsBackWithItsHeader() throws {
        let run = SimRun(smallConfig(.faultySensors, vehicles: 6, hours: 10))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("truth-\(UInt32.random(in: 0...UInt32.max)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ScenarioRunner.writeTruth(run.sim, to: path)
        let file = try TruthFile.read(path: path)
        #expect(file.name == "faulty-sensors" && file.vehicleCount == 6)
        #expect(file.startMs == fixedStart && file.endMs == fixedStart + 10 * 3_600_000)
        #expect(file.vehicleIDs == ["v00001", "v00002", "v00003", "v00004", "v00005", "v00006"])
        // Round trip is exact to the millisecond and the litre's thousandth.
        #expect(file.events.count == run.truth.count)
        for (a, b) in zip(file.events, run.truth) {
            #expect(a.kind == b.kind && a.vehicle == b.vehicle && a.startMs == b.startMs && a.endMs == b.endMs)
            if let v = b.volumeL { #expect(abs(a.volumeL! - v) < 0.001) }
        }
    }

    @Test func malformedLinesAreReportedWithTheirNumber() {
        #expect(throws: TruthCodec.ParseError.self) { try TruthCodec.parse("{\"kind\":\"refuel\"}\n") }
        // Unknown kinds are skipped, so newer truth files stay readable.
        #expect((try? TruthCodec.parse("{\"kind\":\"tyre_burst\",\"vehicle\":\"v1\",\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T00:00:00Z\"}")) == [])
    }
}
