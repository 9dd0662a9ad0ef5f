import FleetCore
import Testing
@testable import FleetSim

/// The second world (`PhysicsModel.hillyCapacitive`) is physics, not noise: a tank table that is exact
/// where it was taken, hills that cost more climbing than they save descending, and a standard world
/// that its presence leaves byte for byte as it was.
@Suite struct HillyWorldTests {
    @Test func aCylinderHoldsHalfAtHalfHeightAndItsTableIsExactAtItsPoints() {
        #expect(abs(PhysicsModel.cylinderVolume(height: 0.5) - 0.5) < 1e-12)
        #expect(abs(PhysicsModel.cylinderVolume(height: 1) - 1) < 1e-12)
        for k in 0...PhysicsModel.tablePoints {
            let v = PhysicsModel.cylinderVolume(height: Double(k) / Double(PhysicsModel.tablePoints))
            #expect(abs(PhysicsModel.tankTableReading(volume: v) - v) < 1e-6)
        }
        var last = -1.0, worst = 0.0
        for i in 0...1000 {
            let v = Double(i) / 1000
            let r = PhysicsModel.tankTableReading(volume: v)
            #expect(r >= last - 1e-9, "the table reading must rise with the volume")
            last = r
            worst = max(worst, abs(r - v))
        }
        // Off between its points, most near empty and full, by about 1 % of the tank at worst.
        #expect(worst > 0.001 && worst < 0.012, "worst \(worst)")
    }

    @Test func climbingCostsMoreThanDescendingSaves() {
        var t = Terrain(seed: 4, index: 0, start: 0)
        var sum = 0.0
        let n = 20_000
        for i in 0..<n {
            t.drove(toKm: Double(i) * 3.1)
            #expect(t.driveFactor >= 0.3)
            sum += t.driveFactor
        }
        // Grades average zero, consumption does not.
        #expect(sum / Double(n) > 1.05 && sum / Double(n) < 1.4, "mean factor \(sum / Double(n))")
    }

    @Test func anEngineStartedAfterHoursOffRunsColdForTenMinutes() {
        var t = Terrain(seed: 4, index: 0, start: 0)
        t.ignition(on: false, at: 1_000)
        t.ignition(on: true, at: 1_000 + Terrain.coldAfterMs)
        #expect(t.coldFactor(at: 1_000 + Terrain.coldAfterMs + 60_000) > 1)
        #expect(t.coldFactor(at: 1_000 + Terrain.coldAfterMs + Terrain.coldForMs) == 1)
        t.ignition(on: false, at: 10_000_000)
        t.ignition(on: true, at: 10_000_000 + 600_000)
        #expect(t.coldFactor(at: 10_000_000 + 660_000) == 1, "a warm engine after a short stop")
    }

    @Test func theHillyWorldDiffersAndTheStandardOneIsUntouchedByIt() {
        var c = smallConfig(.realistic, vehicles: 6, hours: 12, seed: 21)
        let standard = SimRun(c)
        c.physics = .standard
        let again = SimRun(c)
        c.physics = .hillyCapacitive
        let hilly = SimRun(c)
        #expect(standard.messages.map(\.payload) == again.messages.map(\.payload))
        #expect(standard.messages.map(\.payload) != hilly.messages.map(\.payload))
    }
}
