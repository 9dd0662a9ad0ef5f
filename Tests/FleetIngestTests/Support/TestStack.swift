import FleetIngest
import Foundation
import LibPQ

/// The private mosquitto and PostgreSQL that `deploy/test.sh` starts, found through the
/// environment. Tests that cross a wire are enabled only when it is there.
enum TestStack {
    static let env = ProcessInfo.processInfo.environment
    static var postgresURL: String? { env["FLEETD_TEST_PG_URL"] }
    static var mqttPort: Int? { env["FLEETD_TEST_MQTT_PORT"].flatMap(Int.init) }
    static var stackDir: String? { env["FLEETD_TEST_STACK_DIR"] }
    static var mqttsPort: Int? { env["FLEETD_TEST_MQTTS_PORT"].flatMap(Int.init) }
    static var mqttCA: String? { env["FLEETD_TEST_MQTT_CA"] }
    static var fleetdBinary: String? { env["FLEETD_BIN"] }
    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    static var available: Bool {
        postgresURL != nil && mqttPort != nil && stackDir != nil && fleetdBinary != nil
    }

    /// Runs one of deploy/local/stack.sh's functions against the test stack. posix_spawn and
    /// waitpid rather than Foundation's Process: its waitUntilExit does not return while a
    /// grandchild (the restarted postgres) still holds the descriptors it watches.
    static func stack(_ function: String) throws {
        let args = ["/bin/bash", "-c", ". \"\(repoRoot)/deploy/local/stack.sh\" && \(function) \"\(stackDir!)\" >/dev/null 2>&1"]
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        // The test process blocks signals in its threads; a broker started from here must not
        // inherit that mask, or it ignores the SIGTERM that stops it later.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attr, &unblocked)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        guard posix_spawn(&pid, "/bin/bash", nil, &attr, &cArgs, environ) == 0 else {
            throw TestFailure("cannot run bash for \(function)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw TestFailure("stack function \(function) failed with status \(status)") }
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// The test stack's PostgreSQL stopped until `end()`, or until the test leaves the scope holding it
/// (a failed expectation must not leave the next test without a database).
final class PostgresOutage {
    private var over = false

    init() throws { try TestStack.stack("stack_stop_postgres") }

    func end() throws {
        guard !over else { return }
        try TestStack.stack("stack_resume_postgres")
        over = true
    }

    deinit { if !over { try? TestStack.stack("stack_resume_postgres") } }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A database of its own for one test, dropped afterwards.
final class TestDatabase {
    let name: String
    let url: String

    /// `encoding`: e.g. "SQL_ASCII" for a database fleetd must refuse (default: the cluster's, UTF8).
    init(encoding: String? = nil) throws {
        name = "t_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try PGConnection(TestStack.postgresURL!)
        try admin.exec("CREATE DATABASE \(name)" + (encoding.map { " ENCODING '\($0)' TEMPLATE template0" } ?? ""))
        var parts = TestStack.postgresURL!.split(separator: "/", omittingEmptySubsequences: false)
        parts[parts.count - 1] = Substring(name)
        url = parts.joined(separator: "/")
    }

    func connect() throws -> PGConnection { try PGConnection(url) }

    func count(_ sql: String) throws -> Int {
        Int(try connect().exec(sql).int(0, 0) ?? -1)
    }

    func drop() {
        guard let admin = try? PGConnection(TestStack.postgresURL!) else { return }
        _ = try? admin.exec("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

/// Polls until `condition` holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(60), _ condition: () throws -> Bool) rethrows -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if try condition() { return true }
        usleep(100_000)
    }
    return try condition()
}
