import Foundation
import Testing

@testable import FleetIngest

/// A spool file is trusted on reopen only after its header is checked: every kind of damage is a
/// clear refusal naming the file, never a SIGBUS or a trap.
@Suite struct SpoolFileDamageTests {
    static let capacity: UInt64 = 64 * 1024

    /// A spool file holding a few unreleased messages, closed.
    static func spoolFile() throws -> String {
        let path = SpoolTests.tempPath()
        let spool = try Spool(path: path, capacity: capacity, maxStoredPayload: 2048)
        for i in 0..<5 { SpoolTests.append(spool, "fleet/v\(i)/fuel", Array("{}".utf8)) }
        return path
    }

    static func patch(_ path: String, at offset: off_t, _ value: UInt64) {
        let fd = open(path, O_RDWR)
        var v = value
        _ = pwrite(fd, &v, 8, offset)
        close(fd)
    }

    static func refusal(_ path: String) -> Spool.DamagedSpool? {
        do {
            _ = try Spool(path: path, capacity: capacity, maxStoredPayload: 2048)
            return nil
        } catch let e as Spool.DamagedSpool {
            return e
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func anIntactFileReopens() throws {
        let path = try Self.spoolFile()
        defer { unlink(path) }
        let spool = try Spool(path: path, capacity: Self.capacity, maxStoredPayload: 2048)
        #expect(spool.usedBytes > 0)
    }

    @Test(arguments: [0, 100, 4095, 4096, 4096 + 1000])
    func aTruncatedFileIsRefused(length: Int) throws {
        let path = try Self.spoolFile()
        defer { unlink(path) }
        truncate(path, off_t(length))
        if length == 0 {
            // An empty file is a new spool.
            #expect(Self.refusal(path) == nil)
            return
        }
        let e = try #require(Self.refusal(path))
        #expect(e.description.contains(path))
        #expect(e.isSpoolFile == (length >= 8))
    }

    @Test func aGrownFileIsRefused() throws {
        let path = try Self.spoolFile()
        defer { unlink(path) }
        truncate(path, off_t(SpoolHeader.size) + off_t(Self.capacity) + 8192)
        let e = try #require(Self.refusal(path))
        #expect(e.description.contains("cut short or grown"))
    }

    @Test func headerFieldsOutOfOrderAreRefused() throws {
        let cases: [(String, off_t, UInt64)] = [
            ("released beyond head", off_t(SpoolHeader.releasedOffset), 1 << 40),
            ("head more than a ring ahead", off_t(SpoolHeader.headOffset), 1 << 40),
            ("unaligned head", off_t(SpoolHeader.headOffset), 13),
            ("capacity not the file's", 16, 128 * 1024),
            ("capacity absurd", 16, .max),
            ("version unknown", 8, 7),
            ("spool id garbage", off_t(SpoolHeader.idOffset), 0xFFFF_FFFF_FFFF_FFFF),
        ]
        for (what, offset, value) in cases {
            let path = try Self.spoolFile()
            defer { unlink(path) }
            Self.patch(path, at: offset, value)
            let e = Self.refusal(path)
            #expect(e != nil, "\(what) must be refused")
            #expect(e?.isSpoolFile == true, "\(what)")
        }
    }

    @Test func aFileThatIsNotASpoolIsNeverTakenForOne() throws {
        let path = SpoolTests.tempPath()
        defer { unlink(path) }
        try Data(repeating: 0x41, count: 100_000).write(to: URL(fileURLWithPath: path))
        let e = try #require(Self.refusal(path))
        #expect(!e.isSpoolFile)
        #expect(e.description.contains("not a fleetd spool file"))
    }

    @Test func aDamagedSpoolIsMovedAsideNeverDeleted() throws {
        let path = try Self.spoolFile()
        defer { unlink(path) }
        Self.patch(path, at: off_t(SpoolHeader.releasedOffset), 1 << 40)
        let aside = try Spool.moveAside(path: path)
        defer { unlink(aside) }
        #expect(FileManager.default.fileExists(atPath: aside))
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(aside.hasPrefix(path + ".damaged-"))
    }

    @Test func randomHeaderBytesNeverTrap() throws {
        // Any 136 bytes, any length: a header either checks out whole or is refused.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var bytes = (0..<SpoolHeader.checkedLength).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) { withUnsafeBytes(of: SpoolHeader.magic) { bytes.replaceSubrange(0..<8, with: $0) } }
            if Bool.random(using: &rng) { withUnsafeBytes(of: SpoolHeader.version) { bytes.replaceSubrange(8..<12, with: $0) } }
            let size = UInt64.random(in: 0...(1 << 42), using: &rng)
            let result = bytes.withUnsafeBytes { SpoolHeader.check($0, fileSize: size) }
            if case .success(let h) = result {
                #expect(h.released <= h.head && h.head - h.released <= h.capacity)
                #expect(size == UInt64(SpoolHeader.size) + h.capacity)
            }
        }
    }
}
