import Foundation

/// The real fleetd binary, run as a child process against the test stack.
final class FleetdProcess {
    let adminPort: Int
    let spoolPath: String
    let clientID: String
    let database: TestDatabase
    let logPath: String
    /// Settable between runs: a restart may use other settings on the same spool and session.
    var extraArgs: [String]
    let mqttURL: String
    private(set) var process: Process?

    init(database: TestDatabase, clientID: String = "fleetd-test-\(UUID().uuidString.prefix(6))",
         mqttURL: String = "mqtt://127.0.0.1:\(TestStack.mqttPort ?? 0)", extraArgs: [String] = []) {
        self.database = database
        self.mqttURL = mqttURL
        self.clientID = clientID
        self.adminPort = TestStack.freePort()
        let dir = NSTemporaryDirectory() + "fleetd-e2e-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        spoolPath = dir + "/fleetd.spool"
        logPath = dir + "/fleetd.log"
        self.extraArgs = extraArgs
    }

    /// A test's spool (64 MiB) and log go with it: a full suite would otherwise leave gigabytes behind.
    deinit {
        if let p = process, p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: (spoolPath as NSString).deletingLastPathComponent)
    }

    /// Where fleetd connects, when not straight to the test database (a proxy in between).
    var postgresURL: String?

    var arguments: [String] {
        ["run", "--mqtt-url", mqttURL, "--client-id", clientID,
         "--postgres-url", postgresURL ?? database.url, "--admin-addr", "127.0.0.1:\(adminPort)", "--spool-path", spoolPath,
         "--spool-size", "64MiB", "--mqtt-session-expiry", "120s", "--log-level", "info"] + extraArgs
    }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestStack.fleetdBinary!)
        p.arguments = arguments
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        p.standardError = log
        p.standardOutput = log
        try p.run()
        process = p
    }

    /// Starts and waits until /readyz says subscribed and PostgreSQL reachable.
    func startReady(timeout: Duration = .seconds(60)) throws {
        try start()
        guard eventually(timeout: timeout, { !isRunning || get("/readyz")?.status == 200 }), isRunning else {
            throw TestFailure("fleetd did not become ready; log:\n\(log)")
        }
    }

    func kill9() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    /// SIGTERM, then the exit status.
    @discardableResult
    func terminate() -> Int32 {
        guard let p = process else { return -1 }
        p.terminate()
        p.waitUntilExit()
        process = nil
        return p.terminationStatus
    }

    /// SIGTERM, then the exit status if fleetd ended within `seconds`; nil (and SIGKILL) if it did not.
    func terminate(within seconds: Double) -> Int32? {
        guard let p = process else { return nil }
        p.terminate()
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while p.isRunning && ContinuousClock.now < end { usleep(50_000) }
        if p.isRunning {
            kill9()
            return nil
        }
        process = nil
        return p.terminationStatus
    }

    var isRunning: Bool { process?.isRunning ?? false }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// One HTTP GET on the admin port through curl.
    func get(_ path: String) -> (status: Int, body: String)? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-m", "5", "-w", "\n%{http_code}", "http://127.0.0.1:\(adminPort)\(path)"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let nl = text.lastIndex(of: "\n"), let code = Int(text[text.index(after: nl)...]), code > 0 else { return nil }
        return (code, String(text[..<nl]))
    }

    /// The checks /readyz names as failing (nil when it does not answer).
    var failingChecks: [String]? {
        guard let r = get("/readyz"),
              let object = try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any] else { return nil }
        return object["failing"] as? [String]
    }

    /// A sample's value from /metrics, e.g. `fleetd_readings_rejected_total{reason="missing_ts"}`.
    func metric(_ series: String) -> Double? {
        guard let body = get("/metrics")?.body else { return nil }
        for line in body.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}

/// Runs the fleetd binary to completion (subcommands other than run).
func runFleetd(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: TestStack.fleetdBinary!)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FLEETD_") || $0.key.hasPrefix("FLEETD_TEST") }
    env.merge(environment) { $1 }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Runs a tool from PATH with `stdin`, returning its exit status and combined output.
func runTool(_ name: String, _ args: [String], stdin: [UInt8] = []) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [name] + args
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = output
    try p.run()
    input.fileHandleForWriting.write(Data(stdin))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
