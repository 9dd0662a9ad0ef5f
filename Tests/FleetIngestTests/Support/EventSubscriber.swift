import Foundation
import Synchronization

/// fleetd's published events as a consumer sees them: mosquitto_sub on `{prefix}/#` at QoS 1, each
/// message with the time it arrived.
final class EventSubscriber {
    struct Message {
        /// Unix seconds of arrival.
        var at: Double
        var topic: String
        var json: [String: Any]
        var seq: Int { json["seq"] as? Int ?? -1 }
    }

    private final class Output: Sendable {
        let text = Mutex<String>("")
    }

    private let process = Process()
    private let lines = Output()

    init(port: Int, prefix: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        process.arguments = ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-V", "5", "-t", "\(prefix)/#", "-F", "%U %t %p"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [lines] h in
            let d = h.availableData
            lines.text.withLock { $0 += String(decoding: d, as: UTF8.self) }
        }
        try process.run()
        // mosquitto_sub does not say when its subscription is granted.
        Thread.sleep(forTimeInterval: 0.5)
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Every complete message so far, in arrival order.
    var messages: [Message] {
        let text = lines.text.withLock { $0 }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, let at = Double(parts[0]),
                  let json = try? JSONSerialization.jsonObject(with: Data(parts[2].utf8)) as? [String: Any] else { return nil }
            return Message(at: at, topic: String(parts[1]), json: json)
        }
    }
}
