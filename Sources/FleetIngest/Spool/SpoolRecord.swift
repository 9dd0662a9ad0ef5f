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

    /// The entry at `position` of a ring of `ring.count` bytes (a multiple of 8) holding frames up to
    /// `head`, skipping wrap markers; nil when nothing is there yet. A frame that cannot be valid (a
    /// torn write after a power cut) makes the rest up to head unreadable. Reads only inside `ring`,
    /// whatever the bytes say.
    static func entry(in ring: UnsafeRawBufferPointer, at position: UInt64, head: UInt64) -> SpoolEntry? {
        let capacity = UInt64(ring.count)
        guard capacity > 0, capacity % 8 == 0 else { return position < head ? .unreadable(position..<head) : nil }
        var p = position
        while p < head {
            let offset = Int(p % capacity)
            guard offset % 8 == 0 else { return .unreadable(p..<head) }
            let bodyLength = UInt64(ring.load(fromByteOffset: offset, as: UInt32.self))
            let kind = ring.load(fromByteOffset: offset + 4, as: UInt32.self)
            let size = bodyLength + UInt64(frameHeader)
            guard size % 8 == 0, UInt64(offset) + size <= capacity, p + size <= head else { return .unreadable(p..<head) }
            if kind == kindWrap {
                p += size
                continue
            }
            guard kind == kindMessage, bodyLength >= UInt64(bodyHeader) else { return .unreadable(p..<head) }
            let body = offset + frameHeader
            let receivedAt = ring.load(fromByteOffset: body, as: Int64.self)
            let original = Int(ring.load(fromByteOffset: body + 8, as: UInt32.self))
            let stored = Int(ring.load(fromByteOffset: body + 12, as: UInt32.self))
            let topicLength = Int(ring.load(fromByteOffset: body + 16, as: UInt16.self))
            guard bodyHeader + topicLength + stored <= Int(bodyLength) else { return .unreadable(p..<head) }
            let topicStart = body + bodyHeader
            let topic = String(decoding: UnsafeRawBufferPointer(rebasing: ring[topicStart..<(topicStart + topicLength)]), as: UTF8.self)
            return .message(SpoolRecord(
                position: p, next: p + size, receivedAtNanos: receivedAt, topic: topic,
                payload: UnsafeRawBufferPointer(rebasing: ring[(topicStart + topicLength)..<(topicStart + topicLength + stored)]),
                originalLength: original))
        }
        return nil
    }
}
