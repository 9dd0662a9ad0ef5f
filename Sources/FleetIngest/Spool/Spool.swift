import Atomics
import Foundation

/// The durable single-producer / single-consumer ring between the MQTT thread and the
/// pipeline, in a `MAP_SHARED` memory-mapped file.
///
/// Positions are logical byte offsets that only grow; the physical offset is `position %
/// capacity`. The producer publishes `head` after a record is written; the consumer publishes
/// `released` once PostgreSQL has committed everything before it. Both live in the mapped
/// header, so after `kill -9` the page cache still holds every message the callback copied.
public final class Spool: @unchecked Sendable {
    static let magic: UInt64 = 0x4C50_5354_4545_4C46  // "FLEETSPL"
    static let version: UInt32 = 1
    static let headerSize = 4096
    static let headOffset = 64
    static let releasedOffset = 128

    public let path: String
    public let capacity: UInt64
    /// Identifies this spool file in the PostgreSQL checkpoint, so a replaced file never
    /// replays against another file's position.
    public let spoolID: String

    private let fd: Int32
    private let base: UnsafeMutableRawPointer
    private let mappedLength: Int
    private let head: UnsafeAtomic<UInt64>
    private let released: UnsafeAtomic<UInt64>
    /// Count of messages that had to wait for space (back-pressure), for metrics.
    public let producerWaits = ManagedAtomic<UInt64>(0)

    /// Largest payload stored in full; larger ones are kept cut, with their true length,
    /// because the decoder rejects them as too large anyway.
    public let maxStoredPayload: Int

    /// Opens or creates the spool. An existing file keeps its capacity when it still holds
    /// unreleased data.
    public init(path: String, capacity requested: UInt64, maxStoredPayload: Int = 256 * 1024 + 1) throws {
        self.path = path
        self.maxStoredPayload = maxStoredPayload
        let capacity = (requested + 7) & ~7
        guard capacity >= UInt64(4 * (maxStoredPayload + 1024)) else {
            throw StartupError("spool size \(requested) bytes is too small: it must hold at least 4 of the largest messages (\(4 * (maxStoredPayload + 1024)) bytes)")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StartupError("cannot open spool file \(path): \(String(cString: strerror(errno))); check --spool-path and its directory's permissions")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw StartupError("spool file \(path) is locked by another process: is another fleetd running with the same --spool-path?")
        }
        var st = stat()
        fstat(fd, &st)
        var actualCapacity = capacity
        var fresh = st.st_size == 0
        if !fresh {
            let existing = try Self.readHeader(fd: fd, path: path)
            if existing.capacity != capacity {
                if existing.head == existing.released {
                    fresh = true  // empty: safe to resize
                } else {
                    actualCapacity = existing.capacity
                }
            }
        }
        let length = Self.headerSize + Int(actualCapacity)
        if fresh {
            guard ftruncate(fd, 0) == 0, ftruncate(fd, off_t(length)) == 0 else {
                Glibc.close(fd)
                throw StartupError("cannot size spool file \(path) to \(length) bytes: \(String(cString: strerror(errno)))")
            }
        }
        guard let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            Glibc.close(fd)
            throw StartupError("cannot map spool file \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.base = mapped
        self.mappedLength = length
        self.capacity = actualCapacity
        if fresh {
            memset(mapped, 0, Self.headerSize)
            mapped.storeBytes(of: Self.magic, toByteOffset: 0, as: UInt64.self)
            mapped.storeBytes(of: Self.version, toByteOffset: 8, as: UInt32.self)
            mapped.storeBytes(of: actualCapacity, toByteOffset: 16, as: UInt64.self)
            let id = UUID().uuidString.lowercased()
            _ = id.utf8CString.withUnsafeBufferPointer { memcpy(mapped + 24, $0.baseAddress!, min($0.count, 37)) }
            msync(mapped, Self.headerSize, MS_SYNC)
        }
        self.spoolID = String(cString: (mapped + 24).assumingMemoryBound(to: CChar.self))
        head = UnsafeAtomic(at: (mapped + Self.headOffset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
        released = UnsafeAtomic(at: (mapped + Self.releasedOffset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    private static func readHeader(fd: Int32, path: String) throws -> (capacity: UInt64, head: UInt64, released: UInt64) {
        var header = [UInt8](repeating: 0, count: 136)
        guard pread(fd, &header, header.count, 0) == header.count else {
            throw StartupError("spool file \(path) is truncated; move it aside to start with an empty spool")
        }
        func u64(_ at: Int) -> UInt64 { header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) } }
        guard u64(0) == magic else {
            throw StartupError("\(path) is not a fleetd spool file; point --spool-path elsewhere")
        }
        return (u64(16), u64(headOffset), u64(releasedOffset))
    }

    deinit {
        msync(base, mappedLength, MS_SYNC)
        munmap(base, mappedLength)
        Glibc.close(fd)
    }

    // MARK: - State

    public var headPosition: UInt64 { head.load(ordering: .acquiring) }
    public var releasedPosition: UInt64 { released.load(ordering: .acquiring) }
    /// Bytes held between released and head.
    public var usedBytes: UInt64 { headPosition &- releasedPosition }

    /// Flushes the mapped pages to disk; bounds what a power cut can lose.
    public func sync() { msync(base, mappedLength, MS_SYNC) }

    // MARK: - Producer (the MQTT callback thread only)

    /// Copies one message into the spool, waiting while it is full: it never gives a message up (the
    /// MQTT callback that calls it acknowledges the message when it returns).
    public func append(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, receivedAtNanos: Int64) {
        let topicLength = min(topic.count, Int(UInt16.max))
        let stored = min(payload.count, maxStoredPayload)
        let size = UInt64(SpoolFrame.size(topicLength: topicLength, payloadLength: stored))
        var h = head.load(ordering: .relaxed)
        var offset = h % capacity
        let padding = offset + size > capacity ? capacity - offset : 0
        var waited = false
        while h + padding + size - released.load(ordering: .acquiring) > capacity {
            if !waited {
                waited = true
                producerWaits.wrappingIncrement(ordering: .relaxed)
            }
            usleep(500)
        }
        if padding > 0 {
            let frame = base + Self.headerSize + Int(offset)
            frame.storeBytes(of: UInt32(padding - UInt64(SpoolFrame.frameHeader)), toByteOffset: 0, as: UInt32.self)
            frame.storeBytes(of: SpoolFrame.kindWrap, toByteOffset: 4, as: UInt32.self)
            h += padding
            offset = 0
        }
        let frame = base + Self.headerSize + Int(offset)
        frame.storeBytes(of: UInt32(size) - UInt32(SpoolFrame.frameHeader), toByteOffset: 0, as: UInt32.self)
        frame.storeBytes(of: SpoolFrame.kindMessage, toByteOffset: 4, as: UInt32.self)
        let body = frame + SpoolFrame.frameHeader
        body.storeBytes(of: receivedAtNanos, toByteOffset: 0, as: Int64.self)
        body.storeBytes(of: UInt32(clamping: payload.count), toByteOffset: 8, as: UInt32.self)
        body.storeBytes(of: UInt32(stored), toByteOffset: 12, as: UInt32.self)
        body.storeBytes(of: UInt16(topicLength), toByteOffset: 16, as: UInt16.self)
        if topicLength > 0 { memcpy(body + SpoolFrame.bodyHeader, topic.baseAddress!, topicLength) }
        if stored > 0 { memcpy(body + SpoolFrame.bodyHeader + topicLength, payload.baseAddress!, stored) }
        head.store(h + size, ordering: .releasing)
    }

    // MARK: - Consumer (the pipeline thread only)

    /// Reads the entry at `position`, skipping a wrap marker. Nil when nothing is there yet.
    /// A frame that cannot be valid (a torn write after a power cut) makes the rest up to
    /// head unreadable: the consumer records that loss and moves on.
    public func read(at position: UInt64) -> SpoolEntry? {
        var p = position
        let h = head.load(ordering: .acquiring)
        while p < h {
            let offset = Int(p % capacity)
            let frame = UnsafeRawPointer(base + Self.headerSize + offset)
            let bodyLength = UInt64(frame.load(fromByteOffset: 0, as: UInt32.self))
            let kind = frame.load(fromByteOffset: 4, as: UInt32.self)
            let size = bodyLength + UInt64(SpoolFrame.frameHeader)
            guard size % 8 == 0, UInt64(offset) + size <= capacity, p + size <= h else { return .unreadable(p..<h) }
            if kind == SpoolFrame.kindWrap {
                p += size
                continue
            }
            guard kind == SpoolFrame.kindMessage, bodyLength >= UInt64(SpoolFrame.bodyHeader) else { return .unreadable(p..<h) }
            let body = frame + SpoolFrame.frameHeader
            let receivedAt = body.load(fromByteOffset: 0, as: Int64.self)
            let original = Int(body.load(fromByteOffset: 8, as: UInt32.self))
            let stored = Int(body.load(fromByteOffset: 12, as: UInt32.self))
            let topicLength = Int(body.load(fromByteOffset: 16, as: UInt16.self))
            guard SpoolFrame.bodyHeader + topicLength + stored <= Int(bodyLength) else { return .unreadable(p..<h) }
            let topicStart = body + SpoolFrame.bodyHeader
            let topic = String(decoding: UnsafeRawBufferPointer(start: topicStart, count: topicLength), as: UTF8.self)
            return .message(SpoolRecord(
                position: p, next: p + size, receivedAtNanos: receivedAt, topic: topic,
                payload: UnsafeRawBufferPointer(start: topicStart + topicLength, count: stored),
                originalLength: original))
        }
        return nil
    }

    /// Gives back everything before `position` to the producer.
    public func release(upTo position: UInt64) {
        precondition(position <= head.load(ordering: .acquiring), "released beyond head")
        if position > released.load(ordering: .relaxed) {
            released.store(position, ordering: .releasing)
        }
    }
}
