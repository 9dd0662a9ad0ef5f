import FleetCore
import FleetSim
import Synchronization
import Testing

/// fleetd's whole detection stage on simulated fleets, scored one-to-one against the simulator's
/// truth and judged by `DetectionBar`, the bar README states (README's table is the same matrix,
/// run larger with `fleet-sim evaluate --matrix`). Each case must meet the bar on its own, and the
/// cases pooled must hold enough true events of every kind for the bar to mean something.
@Suite(.serialized) struct ScenarioEvaluationTests {
    static let vehicles = 100
    /// Past the first night into the next morning: a theft behind a probe that reads 0 with the
    /// ignition off is only seen when the ignition comes on again.
    static let days = 1.4
    static let seeds: [UInt64] = [11, 12]

    /// Runs are shared with the pooled test, which evaluates whatever has not run yet.
    static let runs = Mutex<[String: MatrixRun]>([:])

    static func run(_ scenario: EvaluationCase, seed: UInt64) -> MatrixRun {
        let key = "\(scenario.rawValue)/\(seed)"
        if let r = runs.withLock({ $0[key] }) { return r }
        let r = MatrixRun(scenario, seed: seed, vehicles: vehicles, days: days)
        runs.withLock { $0[key] = r }
        return r
    }

    @Test(arguments: EvaluationCase.judged, seeds)
    func meetsTheBar(scenario: EvaluationCase, seed: UInt64) {
        let run = Self.run(scenario, seed: seed)
        let e = run.evaluation
        print("\(e.label): \(e.readings) readings\n" + e.report.table())
        let misses = e.misses()
        print(misses.prefix(16).map { "  " + $0 }.joined(separator: "\n") + (misses.count > 16 ? "\n  … \(misses.count - 16) more" : ""))
        for shortfall in run.shortfalls { Issue.record("\(e.label): \(shortfall)") }
    }

    @Test func pooledTruthIsEnoughForEveryBar() {
        var pooled = PooledScore()
        for scenario in EvaluationCase.judged {
            for seed in Self.seeds {
                let r = Self.run(scenario, seed: seed)
                pooled.add(r.report, vehicleDays: r.vehicleDays)
            }
        }
        print(pooled.table())
        for shortfall in pooled.shortfalls() { Issue.record("pooled: \(shortfall)") }
    }
}
