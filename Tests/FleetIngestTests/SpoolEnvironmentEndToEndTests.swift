import Foundation
import Testing

@testable import FleetIngest

/// The spool file in a broken environment, with the real binary: a damaged file stops the start with
/// exit 2 (systemd does not restart-loop on it) until `--spool-reset` moves it aside; a disk too small
/// for the spool fails at start with a line that says so, not later with SIGBUS.
extension OnTheTestStack {
    @Suite struct SpoolEnvironmentEndToEndTests {
        @Test func aDamagedSpoolStopsTheStartUntilItIsMovedAside() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db)
            try fleetd.startReady()
            #expect(fleetd.terminate() == 0)
            // Released beyond head: a header no fleetd writes.
            let fd = open(fleetd.spoolPath, O_RDWR)
            var bad: UInt64 = 1 << 40
            _ = pwrite(fd, &bad, 8, off_t(SpoolHeader.releasedOffset))
            close(fd)

            let refused = try runFleetd(fleetd.arguments)
            #expect(refused.status == 2)
            let said = refused.stdout + refused.stderr
            #expect(said.contains(fleetd.spoolPath) && said.contains("--spool-reset") && said.contains("out of order"), "\(said)")

            fleetd.extraArgs = ["--spool-reset"]
            try fleetd.startReady()
            #expect(fleetd.terminate() == 0)
            let dir = (fleetd.spoolPath as NSString).deletingLastPathComponent
            let kept = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("fleetd.spool.damaged-") }
            #expect(kept.count == 1, "the damaged file is kept for inspection")
            #expect(fleetd.log.contains("damaged spool file moved aside"))
        }

        @Test func aFileThatIsNotASpoolIsNeverMoved() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let fleetd = FleetdProcess(database: db, extraArgs: ["--spool-reset"])
            try Data(repeating: 0x41, count: 10_000).write(to: URL(fileURLWithPath: fleetd.spoolPath))
            let refused = try runFleetd(fleetd.arguments)
            #expect(refused.status == 2)
            #expect((refused.stdout + refused.stderr).contains("not a fleetd spool file"))
            #expect(FileManager.default.fileExists(atPath: fleetd.spoolPath))
        }

        @Test func aDiskTooSmallForTheSpoolFailsAtStart() throws {
            let db = try TestDatabase()
            defer { db.drop() }
            let mountPoint = NSTemporaryDirectory() + "fleetd-tmpfs-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: mountPoint) }
            // An 8 MiB file system for a 64 MiB spool (the test script runs as root).
            let mounted = try runTool("mount", ["-t", "tmpfs", "-o", "size=8M", "tmpfs", mountPoint])
            try #require(mounted.status == 0, "mounting a small tmpfs needs root: \(mounted.output)")
            defer { _ = try? runTool("umount", [mountPoint]) }
            let fleetd = FleetdProcess(database: db)
            var args = fleetd.arguments
            args[args.firstIndex(of: "--spool-path")! + 1] = mountPoint + "/fleetd.spool"
            let refused = try runFleetd(args)
            #expect(refused.status == 1)
            let said = refused.stdout + refused.stderr
            #expect(said.contains("cannot allocate the spool file") && said.contains("free disk space or lower --spool-size"), "\(said)")
            let left = try FileManager.default.attributesOfItem(atPath: mountPoint + "/fleetd.spool")[.size] as? Int
            #expect(left == 0, "no half-allocated file is left to take for a spool")
        }
    }
}
