import Foundation
import Testing

/// The admin port under abuse: thousands of idle sockets, an oversized request. `/healthz` still
/// answers at once and fleetd's file descriptors stay bounded (libpq and MQTT reconnects need them).
extension OnTheTestStack {
    @Suite struct AdminPortEndToEndTests {
        static func openFDs(_ pid: Int32) -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        }

        /// A child process holding `count` idle connections to the port for up to `seconds` (a child:
        /// thousands of descriptors in the test runner itself would push other tests' sockets past
        /// `select`'s FD_SETSIZE).
        static func idleClients(port: Int, count: Int, seconds: Int) throws -> (Process, Pipe) {
            let script = """
                import resource, socket, sys, time
                resource.setrlimit(resource.RLIMIT_NOFILE, (\(count + 256), \(count + 256)))
                held = []
                for _ in range(\(count)):
                    try:
                        held.append(socket.create_connection(("127.0.0.1", \(port)), timeout=5))
                    except OSError:
                        pass
                print(len(held), flush=True)
                time.sleep(\(seconds))
                """
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", script]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            return (p, out)
        }

        @Test func idleSocketsCannotStarveItOfDescriptors() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            let pid = try #require(fleetd.process?.processIdentifier)
            let before = Self.openFDs(pid)

            let (clients, out) = try Self.idleClients(port: fleetd.adminPort, count: 3_000, seconds: 30)
            defer { clients.terminate() }
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            let opened = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(opened >= 2_900, "the client could open \(opened) connections")
            let started = Date()
            let health = fleetd.get("/healthz")
            #expect(health?.status == 200)
            #expect(Date().timeIntervalSince(started) < 1, "/healthz took \(Date().timeIntervalSince(started)) s")
            let during = Self.openFDs(pid)
            #expect(during - before <= 100, "fleetd holds \(during - before) more descriptors with 3,000 idle sockets at its admin port")
            #expect(fleetd.get("/readyz")?.status == 200)
            // Idle connections are closed after the idle timeout, while the client still holds them.
            #expect(eventually(timeout: .seconds(20)) { Self.openFDs(pid) - before <= 5 })
            #expect(clients.isRunning)

            // A request with 40 KB of headers is refused without harm.
            let huge = try runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Junk: " + String(repeating: "a", count: 40_000),
                                            "http://127.0.0.1:\(fleetd.adminPort)/healthz"])
            #expect(huge.output != "200", "oversized headers answered \(huge.output)")
            #expect(fleetd.get("/healthz")?.status == 200)
            #expect(fleetd.terminate() == 0)
        }
    }
}
