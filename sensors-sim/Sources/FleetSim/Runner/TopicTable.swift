import FleetCore

/// NUL-terminated topic strings for every vehicle and channel, built once so publishing
/// allocates nothing per message.
public final class TopicTable: @unchecked Sendable {
    // @unchecked: written only in init, read-only afterwards.
    private let storage: UnsafeMutablePointer<CChar>
    private let offsets: [Int]

    public init(vehicleIDs: [String]) {
        var bytes: [CChar] = []
        var offsets: [Int] = []
        for id in vehicleIDs {
            for ch in Channel.allCases {
                offsets.append(bytes.count)
                bytes.append(contentsOf: "fleet/\(id)/\(ch.rawValue)".utf8CString)
            }
        }
        storage = .allocate(capacity: max(bytes.count, 1))
        storage.initialize(from: bytes, count: bytes.count)
        self.offsets = offsets
    }

    deinit { storage.deallocate() }

    static func slot(_ ch: Channel) -> Int {
        switch ch {
        case .telemetry: 0
        case .fuel: 1
        case .odometer: 2
        case .gps: 3
        }
    }

    /// The topic of `vehicle`/`channel`; valid while the table lives.
    @inline(__always)
    public func topic(vehicle: Int, channel: Channel) -> UnsafePointer<CChar> {
        UnsafePointer(storage + offsets[vehicle * 4 + Self.slot(channel)])
    }
}
