import FleetCore

/// One MQTT message produced by the simulation. The payload lives in the batch's byte arena.
public struct SimMessage: Sendable, Equatable {
    /// When the unit publishes it (true simulated time, ms). Later than `trueMs` for backlogs.
    public var publishAtMs: Int64
    /// True time of the (first) reading in the payload, ms.
    public var trueMs: Int64
    public var vehicle: Int32
    public var channel: Channel
    /// Number of reading objects: 1, or more for a store-and-forward array.
    public var readings: Int32
    /// A repeat of the previous message (a unit re-sending after a lost PUBACK).
    public var duplicate: Bool
    public var offset: Int
    public var length: Int
}

/// A time slice of messages with their payload bytes packed into one arena (no per-message allocation).
public struct MessageBatch: Sendable {
    public var bytes: [UInt8] = []
    public var messages: [SimMessage] = []

    public init() {
        bytes.reserveCapacity(1 << 20)
        messages.reserveCapacity(8192)
    }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        messages.removeAll(keepingCapacity: true)
    }

    public func payload(_ m: SimMessage) -> ArraySlice<UInt8> {
        bytes[m.offset..<(m.offset + m.length)]
    }

    /// Appends a message whose bytes were already written at `bytes[offset...]`.
    mutating func seal(publishAt: Int64, trueMs: Int64, vehicle: Int, channel: Channel, readings: Int, from offset: Int, duplicate: Bool = false) {
        messages.append(SimMessage(publishAtMs: publishAt, trueMs: trueMs, vehicle: Int32(vehicle), channel: channel,
                                   readings: Int32(readings), duplicate: duplicate, offset: offset, length: bytes.count - offset))
    }

    /// Orders the slice the way the fleet would hit the broker: by publish time, then vehicle.
    mutating func sortForPublishing() {
        messages.sort { a, b in
            a.publishAtMs != b.publishAtMs ? a.publishAtMs < b.publishAtMs
                : a.vehicle != b.vehicle ? a.vehicle < b.vehicle : a.offset < b.offset
        }
    }
}
