import FleetCore
import FleetSim
import Testing

/// The same readings received live, as one backlog after downtime, and replayed far faster than
/// real time: receipt time differs, the events must not (a clock skew's offset is measured from
/// receipt or from the unit's cadence, so events it holds may move by a report interval). Each
/// pace is also judged by the bar on its own. The end-to-end run through MQTT at full speed is in
/// `DetectionEndToEndTests`.
@Suite struct ArrivalPaceTests {
    static let paces: [ArrivalPace] = [.backlog(messagesPerSecond: 20_000), .replay(speed: 600)]

    @Test(arguments: [(NamedScenario.faultySensors, UInt64(1)), (.backlog, 3)])
    func everyPaceFindsTheSameEvents(scenario: NamedScenario, seed: UInt64) {
        let config = NamedScenario(rawValue: scenario.rawValue)!.config(seed: seed, vehicles: 60, days: 2)
        let vehicleDays = 120.0
        let live = InProcessEvaluation(label: "\(scenario.rawValue) live", config: config, pace: .live)
        if scenario == .faultySensors {
            #expect(live.truth.filter { $0.kind == .clockSkew }.count >= 3, "the case must hold clock skews to judge")
        }
        for shortfall in DetectionBar.shortfalls(live.ours, vehicleDays: vehicleDays) { Issue.record("\(live.label): \(shortfall)") }
        for pace in Self.paces {
            let other = InProcessEvaluation(label: "\(scenario.rawValue) \(pace)", config: config, pace: pace)
            let agreement = EventAgreement(live.detectedEvents, other.detectedEvents, toleranceMs: EventAgreement.paceToleranceMs)
            print("\(other.label) against live: \(agreement.summary)")
            #expect(agreement.identical, "\(other.label): \(agreement.summary)")
            #expect(agreement.paired == live.detectedEvents.count && agreement.paired > 100)
            #expect(agreement.largestVolumeDifferenceL < 0.5)
            for shortfall in DetectionBar.shortfalls(other.ours, vehicleDays: vehicleDays) { Issue.record("\(other.label): \(shortfall)") }
        }
    }
}
