import Foundation
import Testing

@testable import FleetIngest

/// The spool on a real memory-mapped file: order across wrap-around, back-pressure when full,
/// and state that survives the process.
@Suite struct SpoolTests {
    static func tempPath() -> String {
        NSTemporaryDirectory() + "fleetd-spool-test-\(UUID().uuidString).spool"
    }

    static func append(_ spool: Spool, _ topic: String, _ payload: [UInt8], at ns: Int64 = 1) {
        Array(topic.utf8).withUnsafeBytes { t in payload.withUnsafeBytes { p in spool.append(topic: t, payload: p, receivedAtNanos: ns) } }
    }

    static func message(_ entry: SpoolEntry?) -> SpoolRecord? {
        if case .message(let r)? = entry { return r }
        return nil
    }

    @Test func recordsComeBackInOrderAcrossManyWrapArounds() throws {
        let path = Self.tempPath()
        defer { unlink(path) }
        let spool = try Spool(path: path, capacity: 64 * 1024, maxStoredPayload: 2048)
        var rng = SystemRandomNumberGenerator()
        var expected: [(String, [UInt8])] = []
        var read = 0
        var position = spool.releasedPosition
        for i in 0..<5_000 {
            let payload = (0..<Int.random(in: 0...1500, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let topic = "fleet/v\(i % 37)/fuel"
            // Drain whenever less than a worst-case record fits, so the producer never waits.
            while spool.capacity - spool.usedBytes < 4096 {
                let r = try #require(Self.message(spool.read(at: position)))
                #expect(r.topic == expected[read].0)
                #expect(Array(r.payload) == expected[read].1)
                read += 1
                position = r.next
                spool.release(upTo: position)
            }
            Self.append(spool, topic, payload, at: Int64(i))
            expected.append((topic, payload))
        }
        while let r = Self.message(spool.read(at: position)) {
            #expect(r.topic == expected[read].0 && Array(r.payload) == expected[read].1 && r.receivedAtNanos == Int64(read))
            read += 1
            position = r.next
        }
        #expect(read == expected.count)
        #expect(spool.headPosition > 10 * spool.capacity, "the test must wrap many times")
    }

    @Test func fullSpoolMakesTheProducerWaitNotDrop() throws {
        let path = Self.tempPath()
        defer { unlink(path) }
        let spool = try Spool(path: path, capacity: 32 * 1024, maxStoredPayload: 1024)
        let payload = [UInt8](repeating: 7, count: 1000)
        var appended = 0
        let size = UInt64(SpoolFrame.size(topicLength: 12, payloadLength: payload.count))
        while spool.capacity - spool.usedBytes >= size {
            Self.append(spool, "fleet/v/fuel", payload)
            appended += 1
        }
        // The next appends must wait until the consumer releases space.
        let done = DispatchSemaphore(value: 0)
        let producerFinished = Flag()
        Thread {
            for _ in 0..<10 { Self.append(spool, "fleet/v/fuel", payload) }
            producerFinished.set()
            done.signal()
        }.start()
        usleep(200_000)
        #expect(!producerFinished.isSet, "producer should be blocked on a full spool")
        #expect(spool.producerWaits.load(ordering: .relaxed) >= 1)
        var position = spool.releasedPosition
        var consumed = 0
        while consumed < appended + 10 {
            if let r = Self.message(spool.read(at: position)) {
                #expect(Array(r.payload) == payload)
                position = r.next
                spool.release(upTo: position)
                consumed += 1
            } else {
                usleep(1_000)
            }
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(consumed == appended + 10)
    }

    @Test func stateSurvivesReopenAndUnreleasedRecordsReplay() throws {
        let path = Self.tempPath()
        defer { unlink(path) }
        var id = ""
        do {
            let spool = try Spool(path: path, capacity: 1 << 20, maxStoredPayload: 4096)
            id = spool.spoolID
            for i in 0..<100 { Self.append(spool, "fleet/v\(i)/gps", Array("payload \(i)".utf8)) }
            var p = spool.releasedPosition
            for _ in 0..<40 { p = try #require(Self.message(spool.read(at: p))).next }
            spool.release(upTo: p)
            // No clean close: the object goes away as a killed process's mapping would.
        }
        let reopened = try Spool(path: path, capacity: 1 << 20, maxStoredPayload: 4096)
        #expect(reopened.spoolID == id)
        var p = reopened.releasedPosition
        var seen: [String] = []
        while let r = Self.message(reopened.read(at: p)) {
            seen.append(String(decoding: r.payload, as: UTF8.self))
            p = r.next
        }
        #expect(seen == (40..<100).map { "payload \($0)" })
    }

    @Test func aSecondProcessCannotOpenTheSameSpool() throws {
        let path = Self.tempPath()
        defer { unlink(path) }
        let first = try Spool(path: path, capacity: 1 << 20, maxStoredPayload: 4096)
        // flock is per open file description, so a second open in this process conflicts too.
        #expect(throws: StartupError.self) { try Spool(path: path, capacity: 1 << 20, maxStoredPayload: 4096) }
        _ = first
    }

    @Test func anEmptySpoolTakesANewSizeAndAFullOneKeepsItsOwn() throws {
        let path = Self.tempPath()
        defer { unlink(path) }
        do { _ = try Spool(path: path, capacity: 1 << 20, maxStoredPayload: 4096) }
        do {
            let resized = try Spool(path: path, capacity: 2 << 20, maxStoredPayload: 4096)
            #expect(resized.capacity == 2 << 20)
            Self.append(resized, "t", [1, 2, 3])
        }
        let kept = try Spool(path: path, capacity: 4 << 20, maxStoredPayload: 4096)
        #expect(kept.capacity == 2 << 20)
        #expect(kept.usedBytes > 0)
    }

    @Test func tornFramesAreReportedUnreadableNotTrusted() throws {
        let path = Self.tempPath()
        defer { unlink(path) }
        do {
            let spool = try Spool(path: path, capacity: 1 << 20, maxStoredPayload: 4096)
            for i in 0..<3 { Self.append(spool, "t", Array("m\(i)".utf8)) }
        }
        // Scribble over the second frame's length, as a torn page would.
        let fd = open(path, O_RDWR)
        var garbage: UInt32 = 0xFFFF_FFF0
        let second = Spool.headerSize + SpoolFrame.size(topicLength: 1, payloadLength: 2)
        _ = pwrite(fd, &garbage, 4, off_t(second))
        Glibc.close(fd)
        let spool = try Spool(path: path, capacity: 1 << 20, maxStoredPayload: 4096)
        let first = try #require(Self.message(spool.read(at: 0)))
        #expect(String(decoding: first.payload, as: UTF8.self) == "m0")
        guard case .unreadable(let range)? = spool.read(at: first.next) else {
            Issue.record("expected an unreadable range")
            return
        }
        #expect(range.upperBound == spool.headPosition)
    }

    @Test func oversizedPayloadsAreCutButKeepTheirLength() throws {
        let path = Self.tempPath()
        defer { unlink(path) }
        let spool = try Spool(path: path, capacity: 1 << 20, maxStoredPayload: 100)
        Self.append(spool, "t", [UInt8](repeating: 9, count: 5000))
        let r = try #require(Self.message(spool.read(at: 0)))
        #expect(r.payload.count == 100)
        #expect(r.originalLength == 5000)
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
