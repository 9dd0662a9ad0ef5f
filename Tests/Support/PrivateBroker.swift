import Foundation
import Mosquitto

/// A private mosquitto on a random local port, killed when the test ends.
public final class PrivateBroker {
    public let port: Int32
    public let dir: URL
    public let process: Process

    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/mosquitto") && FileManager.default.isExecutableFile(atPath: "/usr/bin/mosquitto_sub")
    }

    /// `config`: lines added to the broker's configuration (an acl_file, limits).
    public init(config: [String] = []) throws {
        // A random port below Linux's ephemeral range (32768–60999), where other tests' client sockets
        // take ports; a port taken anyway is tried again with another.
        for _ in 0..<3 {
            let port = Int32.random(in: 20_000...32_000)
            if let (dir, process) = try Self.start(port: port, config: config) {
                self.port = port
                self.dir = dir
                self.process = process
                return
            }
        }
        throw MQTTError(description: "mosquitto did not start")
    }

    /// mosquitto listening on `port`, or nil (killed, its folder removed) if it does not come up.
    private static func start(port: Int32, config: [String]) throws -> (URL, Process)? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simtest-broker-\(port)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let conf = dir.appendingPathComponent("mosquitto.conf")
        try """
            listener \(port) 127.0.0.1
            allow_anonymous true
            max_inflight_messages 1000
            max_queued_messages 1000000
            persistence false
            \(config.joined(separator: "\n"))
            """.write(to: conf, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        process.arguments = ["-c", conf.path]
        // Not the test's own pipes: a broker left behind must not keep the runner waiting.
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Bounded wait for the listener.
        for _ in 0..<50 {
            if (try? MQTTPublisher(settings: MQTTSettings(host: "127.0.0.1", port: Int(port), clientID: "probe"), qos: 0)) != nil { return (dir, process) }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dir)
        return nil
    }

    deinit {
        // SIGKILL: the child inherits the test runner's blocked-signal mask, so SIGTERM would wait forever.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dir)
    }
}
