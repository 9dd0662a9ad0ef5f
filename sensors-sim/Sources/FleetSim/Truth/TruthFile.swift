import Foundation

/// A truth file: its `scenario` header (when present) and its events.
public struct TruthFile: Sendable {
    public var name: String?
    public var startMs: Int64?
    public var endMs: Int64?
    public var vehicleCount: Int?
    public var events: [TruthEvent]

    public init(name: String? = nil, startMs: Int64? = nil, endMs: Int64? = nil, vehicleCount: Int? = nil, events: [TruthEvent]) {
        self.name = name
        self.startMs = startMs
        self.endMs = endMs
        self.vehicleCount = vehicleCount
        self.events = events
    }

    private struct Header: Decodable {
        var kind: String
        var start: String?
        var end: String?
        var name: String?
        var vehicles: Int?
    }

    public static func read(path: String) throws -> TruthFile {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var file = TruthFile(events: try TruthCodec.parse(text))
        if let first = text.split(separator: "\n", maxSplits: 1).first,
           let h = try? JSONDecoder().decode(Header.self, from: Data(first.utf8)), h.kind == "scenario" {
            file.name = h.name
            file.startMs = h.start.flatMap(RFC3339.parse)
            file.endMs = h.end.flatMap(RFC3339.parse)
            file.vehicleCount = h.vehicles
        }
        return file
    }

    /// The vehicles the run simulated: from the header, else those named by events.
    public var vehicleIDs: [String] {
        if let n = vehicleCount { return (0..<n).map(VehicleSpec.id) }
        return Array(Set(events.map(\.vehicle))).sorted()
    }
}
