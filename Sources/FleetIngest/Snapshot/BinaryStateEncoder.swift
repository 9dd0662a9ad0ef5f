/// A compact positional binary form of `Codable` values, for detector snapshots.
///
/// Why by hand: Foundation's JSONEncoder and PropertyListEncoder both take about 200 µs per
/// vehicle state (`fleet-sim bench-detection` prints the comparison), which at 100,000 vehicles
/// would be 20 s of the pipeline thread per snapshot. Keys are not written: synthesized
/// `Codable` encodes and decodes fields in declaration order, so position identifies a field.
/// Optionals carry a presence byte, containers of many values a count. The format is private to
/// fleetd and versioned by `BinaryState.version`; a state that does not decode starts afresh.
/// Not for types that encode dictionaries (keys would be lost): detector state has none, and a
/// round-trip test guards it.
public enum BinaryState {
    /// Bumped whenever a state type changes shape.
    public static let version: UInt8 = 10

    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = BinaryStateEncoder()
        encoder.bytes.append(version)
        try value.encode(to: encoder)
        encoder.writeListCounts()
        return encoder.bytes
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard bytes.first == version else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "snapshot format \(bytes.first ?? 0), expected \(version)")) }
        let decoder = BinaryStateDecoder(bytes: bytes, offset: 1)
        let value = try T(from: decoder)
        guard decoder.offset == bytes.count else { throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "trailing bytes")) }
        return value
    }
}

final class BinaryStateEncoder: Encoder {
    var bytes: [UInt8] = []
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init() { bytes.reserveCapacity(1024) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Keyed<Key>(encoder: self))
    }

    /// Where each list's count goes and what it came to: written once at the end rather than patched
    /// into the bytes at every element (a list of 400,000 held readings has millions of elements).
    private var listOffsets: [Int] = []
    fileprivate var listCounts: [UInt32] = []

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        listOffsets.append(bytes.count)
        listCounts.append(0)
        bytes.append(contentsOf: [0, 0, 0, 0])
        return Unkeyed(encoder: self, list: listCounts.count - 1)
    }

    fileprivate func writeListCounts() {
        bytes.withUnsafeMutableBytes { raw in
            for (offset, count) in zip(listOffsets, listCounts) {
                raw.storeBytes(of: count.littleEndian, toByteOffset: offset, as: UInt32.self)
            }
        }
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(encoder: self) }

    func putInteger<I: FixedWidthInteger>(_ v: I) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    func putString(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            putInteger(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// A list of bytes in the layout the generic path gives it (a count, then each byte), in one copy:
    /// element by element it is a call through the container per byte. False: `v` is not one.
    func putBytes<T>(_ v: T) -> Bool {
        guard T.self == [UInt8].self, let b = v as? [UInt8] else { return false }
        putInteger(UInt32(b.count))
        bytes.append(contentsOf: b)
        return true
    }

    func put(_ v: Int64) { putInteger(v) }
    func put(_ v: Int) { putInteger(Int64(v)) }
    func put(_ v: Double) { putInteger(v.bitPattern) }
    func put(_ v: Bool) { bytes.append(v ? 1 : 0) }
    func put(_ v: UInt8) { bytes.append(v) }

    /// Values that are not one of the concrete overloads the containers forward directly.
    func put<T: Encodable>(_ v: T) throws {
        switch v {
        case let x as Int64: putInteger(x)
        case let x as Double: putInteger(x.bitPattern)
        case let x as Bool: bytes.append(x ? 1 : 0)
        case let x as String: putString(x)
        case let x as UInt8: bytes.append(x)
        case let x as Float: putInteger(Double(x).bitPattern)
        case let x as any FixedWidthInteger: putInteger(Int64(truncatingIfNeeded: x))
        default: if !putBytes(v) { try v.encode(to: self) }
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: BinaryStateEncoder
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil(forKey key: Key) { encoder.bytes.append(0) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            if !encoder.putBytes(value) { try value.encode(to: encoder) }
        }
        // Concrete overloads: synthesized Codable calls these for plain fields, with no casts.
        mutating func encode(_ value: Int64, forKey key: Key) { encoder.put(value) }
        mutating func encode(_ value: Int, forKey key: Key) { encoder.put(value) }
        mutating func encode(_ value: Double, forKey key: Key) { encoder.put(value) }
        mutating func encode(_ value: Bool, forKey key: Key) { encoder.put(value) }
        mutating func encode(_ value: UInt8, forKey key: Key) { encoder.put(value) }
        mutating func encode(_ value: String, forKey key: Key) { encoder.putString(value) }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            guard let value else { return encoder.bytes.append(0) }
            encoder.bytes.append(1)
            if !encoder.putBytes(value) { try value.encode(to: encoder) }
        }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) { present(value != nil); value.map(encoder.put) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) { present(value != nil); value.map(encoder.putString) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) { present(value != nil); value.map(encoder.put) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) { present(value != nil); value.map(encoder.put) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) { present(value != nil); value.map(encoder.put) }
        private func present(_ yes: Bool) { encoder.bytes.append(yes ? 1 : 0) }
        mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type, forKey key: Key) -> KeyedEncodingContainer<N> {
            encoder.container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { encoder.unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { encoder }
        mutating func superEncoder(forKey key: Key) -> any Encoder { encoder }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let encoder: BinaryStateEncoder
        let list: Int
        private(set) var count = 0
        var codingPath: [any CodingKey] { [] }

        init(encoder: BinaryStateEncoder, list: Int) {
            self.encoder = encoder
            self.list = list
        }

        private mutating func counted() {
            count += 1
            encoder.listCounts[list] = UInt32(count)
        }

        mutating func encodeNil() { encoder.bytes.append(0); counted() }
        mutating func encode<T: Encodable>(_ value: T) throws {
            // An optional in a list would carry no presence byte (it encodes through a single-value
            // container) and decode as garbage: refuse it, so a state type using one fails its
            // round-trip test instead of being discarded at every restart.
            guard !(value is any OptionalInList) else {
                throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "optional inside a list: use a sentinel"))
            }
            counted()
            if !encoder.putBytes(value) { try value.encode(to: encoder) }
        }
        mutating func encode(_ value: Int64) { counted(); encoder.put(value) }
        mutating func encode(_ value: Double) { counted(); encoder.put(value) }
        mutating func encode(_ value: String) { counted(); encoder.putString(value) }
        mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type) -> KeyedEncodingContainer<N> {
            counted()
            return encoder.container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            counted()
            return encoder.unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { encoder }
    }

    struct Single: SingleValueEncodingContainer {
        let encoder: BinaryStateEncoder
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil() { encoder.bytes.append(0) }
        mutating func encode<T: Encodable>(_ value: T) throws { try encoder.put(value) }
        mutating func encode(_ value: Int64) { encoder.put(value) }
        mutating func encode(_ value: Int) { encoder.put(value) }
        mutating func encode(_ value: Double) { encoder.put(value) }
        mutating func encode(_ value: Bool) { encoder.put(value) }
        mutating func encode(_ value: UInt8) { encoder.put(value) }
        mutating func encode(_ value: String) { encoder.putString(value) }
    }
}

/// Marks `Optional` for the list check above.
protocol OptionalInList {}
extension Optional: OptionalInList {}
