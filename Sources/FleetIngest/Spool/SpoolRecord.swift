/// One spooled MQTT message as the consumer sees it. `payload` points into the mapped file
/// and stays valid until the range holding it is released.
public struct SpoolRecord {
    /// Logical position of the record; `next` is where the one after it starts.
    public var position: UInt64
    public var next: UInt64
    /// Wall-clock receipt time, nanoseconds since the Unix epoch.
    public var receivedAtNanos: Int64
    public var topic: String
    /// The payload as received, possibly cut (see `originalLength`).
    public var payload: UnsafeRawBufferPointer
    /// Size of the payload on the wire; larger than `payload.count` when it was cut.
    public var originalLength: Int

    /// Cut to the size limit on receipt: refused as too large, never decoded.
    public var isCut: Bool { originalLength > payload.count }
}

/// What the consumer finds at a position.
public enum SpoolEntry {
    case message(SpoolRecord)
    /// Bytes that cannot hold a valid frame (torn by a power cut); the range runs to head.
    case unreadable(Range<UInt64>)
}

/// On-disk layout of a record: an 8-byte frame header, then a fixed body header, topic and
/// payload, padded to 8 bytes so every frame header is aligned.
enum SpoolFrame {
    static let frameHeader = 8  // u32 body length, u32 kind
    static let bodyHeader = 24  // i64 receivedAt, u32 originalLength, u32 storedLength, u16 topicLength, 6 reserved
    static let kindMessage: UInt32 = 1
    static let kindWrap: UInt32 = 2

    static func size(topicLength: Int, payloadLength: Int) -> Int {
        (frameHeader + bodyHeader + topicLength + payloadLength + 7) & ~7
    }
}
