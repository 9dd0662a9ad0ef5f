import FleetCore
import FleetSim
import Testing

/// Fuel card purchases made up from fleet-sim's truth (honest, short by 10–40 %, a card used away
/// from the vehicle, cash fills without one) and decided as fleetd's reconciler does, on what
/// fleetd's detectors measured: the bar of the fuel card checks, at test scale.
@Suite struct PurchaseEvaluationTests {
    @Test(arguments: [EvaluationCase.realistic, .faultySensors])
    func shortfallsAndCardsUsedElsewhereAreFound(scenario: EvaluationCase) throws {
        let config = scenario.config(seed: 11, vehicles: 150, days: 2, startMs: MatrixRun.defaultStartMs)
        let p = try #require(InProcessEvaluation(label: scenario.rawValue, config: config, purchases: true).purchases)
        print("\(scenario.rawValue), 150 vehicles × 2 d:\n\(p.table)")
        #expect(p.short >= 20 && p.elsewhere >= 20 && p.honest >= 80, "enough of each to judge")
        #expect(try #require(p.fleetd.short.precision) >= 0.95 && (try #require(p.fleetd.short.recall)) >= 0.95)
        #expect(try #require(p.fleetd.noRefuel.precision) >= 0.95)
        // With faulty probes a card used elsewhere, without the station's position, near a flagged
        // probe is unverifiable rather than no_refuel: the readings there prove nothing.
        #expect(try #require(p.fleetd.noRefuel.recall) >= (scenario == .faultySensors ? 0.85 : 0.95))
        #expect(p.fleetd.honestFlagged == 0, "no driver accused of an honest purchase")
    }

    @Test func sloshHeavyFlagsNoHonestPurchase() throws {
        let config = EvaluationCase.sloshHeavy.config(seed: 12, vehicles: 150, days: 2, startMs: MatrixRun.defaultStartMs)
        let p = try #require(InProcessEvaluation(label: "slosh-heavy", config: config, purchases: true).purchases)
        print("slosh-heavy, 150 vehicles × 2 d:\n\(p.table)")
        #expect(p.honest >= 80)
        #expect(p.fleetd.honestFlagged == 0)
    }
}
