import Testing
@testable import FleetSim

@Suite struct DeterminismTests {
    @Test func sameSeedSameBytesAndTruth() {
        let a = SimRun(smallConfig(.faultySensors, vehicles: 8, hours: 12, seed: 11))
        let b = SimRun(smallConfig(.faultySensors, vehicles: 8, hours: 12, seed: 11))
        #expect(a.messages.count == b.messages.count)
        #expect(a.messages.map(\.payload) == b.messages.map(\.payload))
        #expect(a.messages.map(\.topic) == b.messages.map(\.topic))
        #expect(a.truth == b.truth)
        #expect(a.sim.serviceRecords == b.sim.serviceRecords)
    }

    @Test func differentSeedDifferentFleet() {
        let a = SimRun(smallConfig(.realistic, vehicles: 5, hours: 6, seed: 1))
        let b = SimRun(smallConfig(.realistic, vehicles: 5, hours: 6, seed: 2))
        #expect(a.messages.map(\.payload) != b.messages.map(\.payload))
    }

    /// Vehicles draw from their own streams: a bigger fleet does not change the first vehicles.
    @Test func vehiclesAreIndependentOfFleetSize() {
        let small = SimRun(smallConfig(.realistic, vehicles: 3, hours: 8, seed: 5))
        let big = SimRun(smallConfig(.realistic, vehicles: 6, hours: 8, seed: 5))
        let pick = { (r: SimRun) in r.messages.filter { $0.message.vehicle < 3 }.map(\.payload) }
        #expect(pick(small) == pick(big))
    }

    @Test func messagesAreInPublishOrder() {
        let run = SimRun(smallConfig(.backlog, vehicles: 10, hours: 12))
        let times = run.messages.map(\.message.publishAtMs)
        let bad = zip(times.indices, times.dropFirst()).first { times[$0.0] > $0.1 }
        #expect(bad == nil, "\(bad.map { (run.messages[$0.0].message, run.messages[$0.0 + 1].message) }.debugDescription)")
    }
}
