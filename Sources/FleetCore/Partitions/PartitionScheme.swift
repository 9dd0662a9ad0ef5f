/// Which detection partition a vehicle falls in, when several fleetd instances share the detection:
/// a fixed number of partitions, a vehicle's by a hash of its id. Every instance, build and machine
/// must agree, so the hash is FNV-1a over the id's UTF-8 bytes (Swift's `Hasher` is seeded anew in
/// every process).
public struct PartitionScheme: Sendable, Equatable {
    public let count: Int

    /// Up to 4,096: a partition is a lock and a cursor row, and more partitions than vehicles buy nothing.
    public static let maxCount = 4_096

    public init?(count: Int) {
        guard (1...Self.maxCount).contains(count) else { return nil }
        self.count = count
    }

    public func partition(of vehicleID: String) -> Int {
        Int(Self.key(of: vehicleID)) % count
    }

    /// A vehicle's partition key, whatever the partition count: FNV-1a over its id, folded to 31 bits
    /// (the high half mixed into the low, where FNV-1a varies most between similar ids). Stored with
    /// each reading (`readings.partition_key`), so an owner asks PostgreSQL for its own partitions'
    /// rows only (`partition_key % count`), and non-negative so SQL's `%` agrees.
    public static func key(of vehicleID: String) -> Int32 {
        let h = fnv1a(vehicleID.utf8)
        return Int32(truncatingIfNeeded: (h ^ (h >> 31)) & 0x7fff_ffff)
    }

    /// FNV-1a, 64 bit: the same value for the same bytes in every process (lock keys are made with it too).
    public static func fnv1a<S: Sequence<UInt8>>(_ bytes: S) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01b3
        }
        return h
    }
}
