// libFuzzer target: the spool file's header check and frame reader over arbitrary bytes, as a power
// cut, a bad disk or a hand edit could leave them. Built and run by Tests/Fuzz/run.sh.
// Input: byte 0 picks header (even) or frames (odd); frames: 8 bytes head, 8 bytes start, the ring.

func fail(_ what: String) -> Never { fatalError("invariant broken: \(what)") }

/// Where the bytes handed out are summed, so the optimiser cannot drop the reads ASan must see.
nonisolated(unsafe) var observed = 0

func u64(_ p: UnsafePointer<UInt8>) -> UInt64 { UnsafeRawPointer(p).loadUnaligned(as: UInt64.self) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 17 else { return 0 }
    if data[0] & 1 == 0 {
        // A header claims a capacity; the file is that long (last input byte even), or not.
        let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
        let fileSize = bytes.count >= 24 ? u64(data + 17) &+ UInt64(SpoolHeader.size) &+ UInt64(data[size - 1] & 1) * 8 : UInt64(bytes.count)
        if case .success(let h) = SpoolHeader.check(bytes, fileSize: fileSize) {
            if h.released > h.head || h.head - h.released > h.capacity || fileSize != UInt64(SpoolHeader.size) + h.capacity { fail("header") }
        }
        return 0
    }
    let ringLength = (size - 17) & ~7
    guard ringLength > 0 else { return 0 }
    let ring = UnsafeMutableRawBufferPointer.allocate(byteCount: ringLength, alignment: 8)
    defer { ring.deallocate() }
    ring.copyMemory(from: UnsafeRawBufferPointer(start: data + 17, count: ringLength))
    // Positions as the spool keeps them: multiples of 8, head at most a ring ahead of the start.
    let start = (u64(data + 9) % (1 << 40)) & ~7
    let head = start + (u64(data + 1) % UInt64(ringLength + 8)) & ~7
    var p = start
    for _ in 0..<10_000 {
        guard let entry = SpoolFrame.entry(in: UnsafeRawBufferPointer(ring), at: p, head: head) else { break }
        switch entry {
        case .message(let r):
            if r.position < p || r.next <= r.position || r.next > head { fail("positions") }
            // Touch every byte handed out: ASan flags a read outside the ring.
            for b in r.payload { observed &+= Int(b) }
            observed &+= r.topic.utf8.count
            p = r.next
        case .unreadable(let range):
            if range.lowerBound < p || range.upperBound != head { fail("unreadable range") }
            p = head
        }
    }
    return 0
}
