/// The spool file's first page, checked before a reopen trusts any of it: a file cut short, a header
/// from another version, positions out of order or a capacity that does not match the file's length
/// would otherwise turn into a SIGBUS or a trap inside the MQTT callback or the pipeline.
///
/// Layout (little-endian): magic u64 at 0, version u32 at 8, capacity u64 at 16, the spool id (36
/// ASCII characters and a NUL) at 24, head u64 at 64, released u64 at 128; the ring follows at 4096.
struct SpoolHeader: Equatable {
    static let magic: UInt64 = 0x4C50_5354_4545_4C46  // "FLEETSPL"
    static let version: UInt32 = 1
    static let size = 4096
    static let headOffset = 64
    static let releasedOffset = 128
    static let idOffset = 24
    static let idLength = 36
    /// Bytes read to check a header.
    static let checkedLength = 136
    /// Capacities a spool file can have: what `--spool-size` accepts, give or take the rounding.
    static let capacities: ClosedRange<UInt64> = 4096...(1 << 41)

    var capacity: UInt64
    var spoolID: String
    var head: UInt64
    var released: UInt64

    enum Problem: Error, Equatable {
        case truncated(fileSize: UInt64)
        case notASpool
        case unknownVersion(UInt32)
        case badCapacity(UInt64)
        case lengthMismatch(expected: UInt64, actual: UInt64)
        case badSpoolID
        case positionsOutOfOrder(head: UInt64, released: UInt64, capacity: UInt64)

        /// What is wrong, for a person.
        var explanation: String {
            switch self {
            case .truncated(let size): return "it is \(size) bytes long, shorter than its own header"
            case .notASpool: return "it is not a fleetd spool file (wrong magic number)"
            case .unknownVersion(let v): return "it has spool format version \(v), which this fleetd does not know"
            case .badCapacity(let c): return "its header says the ring holds \(c) bytes, which no fleetd writes"
            case .lengthMismatch(let expected, let actual): return "its header says the file is \(expected) bytes long, but it is \(actual) (cut short or grown)"
            case .badSpoolID: return "its spool id is not readable"
            case .positionsOutOfOrder(let head, let released, let capacity):
                return "its positions are out of order (head \(head), released \(released), ring \(capacity) bytes)"
            }
        }
    }

    /// Checks the first `checkedLength` bytes of a file of `fileSize` bytes.
    static func check(_ bytes: UnsafeRawBufferPointer, fileSize: UInt64) -> Result<SpoolHeader, Problem> {
        guard bytes.count >= checkedLength, fileSize >= UInt64(size) else { return .failure(.truncated(fileSize: fileSize)) }
        func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        guard u64(0) == magic else { return .failure(.notASpool) }
        let v = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard v == version else { return .failure(.unknownVersion(v)) }
        let capacity = u64(16)
        guard capacity % 8 == 0, capacities.contains(capacity) else { return .failure(.badCapacity(capacity)) }
        guard fileSize == UInt64(size) + capacity else {
            return .failure(.lengthMismatch(expected: UInt64(size) + capacity, actual: fileSize))
        }
        let id = bytes[idOffset..<(idOffset + idLength)]
        guard bytes[idOffset + idLength] == 0,
              id.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || $0 == 0x2D })
        else { return .failure(.badSpoolID) }
        let head = u64(headOffset), released = u64(releasedOffset)
        guard released <= head, head - released <= capacity, head % 8 == 0, released % 8 == 0 else {
            return .failure(.positionsOutOfOrder(head: head, released: released, capacity: capacity))
        }
        return .success(SpoolHeader(capacity: capacity, spoolID: String(decoding: id, as: UTF8.self), head: head, released: released))
    }
}
