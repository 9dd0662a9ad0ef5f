import ArgumentParser
import FleetIngest
import Foundation

/// `fleetd events`: what an operator types to watch the fleet.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print fleetd's events (refuels, drains, anomalies, maintenance alerts) as JSON lines, oldest first.",
        discussion: """
            Reads the events view of fleetd's database (--postgres-url, --postgres-schema, or their FLEETD_ \
            variables). Each line is one event: seq (its position in the feed), table, id, kind, vehicle_id, ts \
            and the event's own fields. --follow keeps printing events as their batches commit.
            """)

    @OptionGroup var options: SettingsOptions
    @Flag(help: "Keep printing new events as they commit (until interrupted).") var follow = false
    @Option(help: "Start after this feed position (seq, as printed), or at this time: RFC 3339, or a duration ago such as 30m, 2h, 7d. Default: the latest --last events.")
    var since: String?
    @Option(help: "Only this vehicle's events.") var vehicle: String?
    @Option(help: "Only events of this kind (refuel, drain, an anomaly kind, due_soon, overdue).") var kind: String?
    @Option(help: "Without --since: how many of the latest events to print first (default 20).") var last: Int = 20

    func validate() throws {
        guard last >= 0 else { throw ValidationError("--last must be 0 or more") }
        guard EventFeed.Start.parse(since, nowMs: 0, latest: last) != nil else {
            throw ValidationError("--since must be a feed position (a number), an RFC 3339 time, or a duration such as 2h")
        }
    }

    func run() async throws {
        let config = try await options.resolve()
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let filter = EventFeed.Filter(vehicle: vehicle, kind: kind)
        do {
            let feed = try EventFeed(conninfo: config.pipeline.postgresURL, schema: config.pipeline.schema)
            var cursor = try feed.read(from: EventFeed.Start.parse(since, nowMs: nowMs, latest: last)!, filter, Self.emit)
            while follow {
                _ = try feed.waitForCommit(timeout: .seconds(1))
                cursor = try feed.read(from: .afterSeq(cursor), filter, Self.emit)
            }
        } catch {
            FileHandle.standardError.write(Data("fleetd: events: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    static func emit(_ events: [EventFeed.Event]) {
        guard !events.isEmpty else { return }
        FileHandle.standardOutput.write(Data(events.map { $0.json + "\n" }.joined().utf8))
    }
}
