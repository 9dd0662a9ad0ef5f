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
    /// An existing spool file that cannot be trusted; `run --spool-reset` moves it aside.
    public struct DamagedSpool: Error, CustomStringConvertible {
        public var path: String
        var problem: SpoolHeader.Problem
        /// The file starts like a spool file: only such a file is ever moved aside.
        public var isSpoolFile: Bool

        public var description: String {
            guard isSpoolFile else { return "\(path) is not a fleetd spool file (\(problem.explanation)); point --spool-path elsewhere" }
            return "spool file \(path) is damaged: \(problem.explanation). Messages in it that were not yet in PostgreSQL cannot be read. "
                + "Move it aside (keep it for inspection), or start once with --spool-reset, which renames it to \(path).damaged-<time> and starts with an empty spool"
        }
    }

    static let headerSize = SpoolHeader.size

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
            let existing: SpoolHeader
            do {
                existing = try Self.readHeader(fd: fd, fileSize: UInt64(st.st_size))
            } catch {
                var magic: UInt64 = 0
                let isSpoolFile = pread(fd, &magic, 8, 0) == 8 && magic == SpoolHeader.magic
                Glibc.close(fd)
                throw DamagedSpool(path: path, problem: error, isSpoolFile: isSpoolFile)
            }
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
            guard ftruncate(fd, 0) == 0 else {
                Glibc.close(fd)
                throw StartupError("cannot size spool file \(path): \(String(cString: strerror(errno)))")
            }
        }
        // Every block of the ring on disk now: a full disk fails here, with a clear line, instead of
        // as a SIGBUS in the MQTT callback when a page of a sparse file is first written.
        // (An existing file too, in case an older fleetd left it sparse; where the file system lacks
        // fallocate, glibc's fallback writes only bytes that read as zero, so data is kept.)
        let rc = posix_fallocate(fd, 0, off_t(length))
        if rc != 0 {
            if fresh { ftruncate(fd, 0) }
            Glibc.close(fd)
            throw StartupError("cannot allocate the spool file \(path) (\(length) bytes): \(String(cString: strerror(rc))); "
                + (rc == ENOSPC ? "free disk space or lower --spool-size" : "check the file system holding --spool-path"))
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
            mapped.storeBytes(of: SpoolHeader.magic, toByteOffset: 0, as: UInt64.self)
            mapped.storeBytes(of: SpoolHeader.version, toByteOffset: 8, as: UInt32.self)
            mapped.storeBytes(of: actualCapacity, toByteOffset: 16, as: UInt64.self)
            let id = UUID().uuidString.lowercased()
            _ = id.utf8CString.withUnsafeBufferPointer { memcpy(mapped + SpoolHeader.idOffset, $0.baseAddress!, min($0.count, SpoolHeader.idLength + 1)) }
            msync(mapped, Self.headerSize, MS_SYNC)
        }
        self.spoolID = String(cString: (mapped + SpoolHeader.idOffset).assumingMemoryBound(to: CChar.self))
        head = UnsafeAtomic(at: (mapped + SpoolHeader.headOffset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
        released = UnsafeAtomic(at: (mapped + SpoolHeader.releasedOffset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    private static func readHeader(fd: Int32, fileSize: UInt64) throws(SpoolHeader.Problem) -> SpoolHeader {
        var header = [UInt8](repeating: 0, count: SpoolHeader.checkedLength)
        let n = pread(fd, &header, header.count, 0)
        let checked = header.withUnsafeBytes { SpoolHeader.check(UnsafeRawBufferPointer(rebasing: $0[0..<max(0, n)]), fileSize: fileSize) }
        return try checked.get()
    }


    /// Renames a damaged spool file to `<path>.damaged-<UTC time>`, never deleting it, and returns the new name.
    public static func moveAside(path: String) throws -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        let stamp = String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                           parts.tm_hour, parts.tm_min, parts.tm_sec)
        let aside = "\(path).damaged-\(stamp)"
        guard rename(path, aside) == 0 else {
            throw StartupError("cannot move the damaged spool file \(path) aside: \(String(cString: strerror(errno)))")
        }
        return aside
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
        SpoolFrame.entry(in: UnsafeRawBufferPointer(start: base + Self.headerSize, count: Int(capacity)), at: position,
                         head: head.load(ordering: .acquiring))
    }

    /// Gives back everything before `position` to the producer.
    public func release(upTo position: UInt64) {
        precondition(position <= head.load(ordering: .acquiring), "released beyond head")
        if position > released.load(ordering: .relaxed) {
            released.store(position, ordering: .releasing)
        }
    }
}
