import Foundation
import Testing

/// Idle vehicles leave fleetd's memory once their detector state is stored, and come back with it
/// when they send again, with the real binary and database.
extension OnTheTestStack {
    @Suite struct EvictionEndToEndTests {
        static func reading(_ vehicle: String, ts: Int64, km: Double) -> Traffic.Message {
            let body = #"{"ts":\#(ts),"odometer_km":\#(km),"speed_kmh":30,"ignition":true}"#
            return Traffic.Message(topic: "fleet/\(vehicle)/telemetry", payload: Array(body.utf8))
        }

        @Test func anIdleVehicleIsEvictedAndComesBackWithItsState() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db, extraArgs: ["--vehicle-idle-evict", "2s", "--snapshot-interval", "1s", "--reorder-window", "0s"])
            try fleetd.startReady()
            let t0 = Int64(Date().timeIntervalSince1970 * 1000)
            try Traffic.publish((0..<5).map { Self.reading("ev1", ts: t0 + Int64($0) * 1000, km: 10_000 + Double($0)) })
            #expect(try eventually { try db.count("SELECT count(*) FROM readings") == 5 })
            // Another vehicle keeps the stream (and the receiving clock) going while ev1 is silent.
            var sent = 0
            #expect(eventually(timeout: .seconds(30)) {
                try? Traffic.publish([Self.reading("busy", ts: t0 + Int64(sent) * 1000, km: Double(sent))])
                sent += 1
                Thread.sleep(forTimeInterval: 0.3)
                return fleetd.metric("fleetd_detector_vehicles_in_memory") == 1
            }, "ev1 leaves memory: \(String(describing: fleetd.metric("fleetd_detector_vehicles_in_memory")))")
            // Back 1,000 km lower: an odometer rollback only ev1's stored state can reveal.
            try Traffic.publish([Self.reading("ev1", ts: t0 + 60_000, km: 9_000)])
            #expect(try eventually(timeout: .seconds(20)) { try db.count("SELECT count(*) FROM anomalies WHERE vehicle_id = 'ev1' AND kind = 'odometer_rollback'") == 1 })
            #expect(fleetd.terminate() == 0)
        }
    }
}
