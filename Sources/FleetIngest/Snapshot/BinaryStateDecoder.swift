/// Reads what `BinaryStateEncoder` wrote, in the same order.
final class BinaryStateDecoder: Decoder {
    let bytes: [UInt8]
    var offset: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(bytes: [UInt8], offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let count = Int(try take(UInt32.self))
        // Every element takes at least a byte: a larger count is damage, not a reason to allocate.
        guard count <= bytes.count - offset else { throw corrupt("list longer than the bytes left") }
        return Unkeyed(decoder: self, count: count)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    func corrupt(_ what: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: [], debugDescription: "\(what) at byte \(offset) of \(bytes.count)"))
    }

    func take<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let n = MemoryLayout<I>.size
        guard offset + n <= bytes.count else { throw corrupt("truncated") }
        var v: I = 0
        withUnsafeMutableBytes(of: &v) { raw in
            for i in 0..<n { raw[i] = bytes[offset + i] }
        }
        offset += n
        return I(littleEndian: v)
    }

    func takeByte() throws -> UInt8 { try take(UInt8.self) }

    func takeString() throws -> String {
        let n = Int(try take(UInt32.self))
        guard offset + n <= bytes.count else { throw corrupt("truncated string") }
        defer { offset += n }
        return String(decoding: bytes[offset..<(offset + n)], as: UTF8.self)
    }

    /// A list of bytes (`BinaryStateEncoder.putBytes`) in one copy; nil: `T` is not one.
    func takeBytes<T>(_ type: T.Type) throws -> T? {
        guard type == [UInt8].self else { return nil }
        let n = Int(try take(UInt32.self))
        guard n <= bytes.count - offset else { throw corrupt("list longer than the bytes left") }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)]) as? T
    }

    func value<T: Decodable>(_ type: T.Type) throws -> T {
        if type == Int64.self { return try take(Int64.self) as! T }
        if type == Double.self { return Double(bitPattern: try take(UInt64.self)) as! T }
        if type == Bool.self { return (try takeByte() != 0) as! T }
        if type == String.self { return try takeString() as! T }
        if type == UInt8.self { return try takeByte() as! T }
        if type == Float.self { return Float(Double(bitPattern: try take(UInt64.self))) as! T }
        if let integer = type as? any FixedWidthInteger.Type { return integer.init(truncatingIfNeeded: try take(Int64.self)) as! T }
        if let b = try takeBytes(type) { return b }
        return try T(from: self)
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: BinaryStateDecoder
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }

        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) throws -> Bool { try decoder.takeByte() == 0 }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder.takeBytes(type) ?? T(from: decoder) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder.take(Int64.self) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { Int(try decoder.take(Int64.self)) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { Double(bitPattern: try decoder.take(UInt64.self)) }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder.takeByte() != 0 }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder.takeByte() }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder.takeString() }
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try present() ? try decode(type, forKey: key) : nil }
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present() ? try decode(type, forKey: key) : nil }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present() ? try decode(type, forKey: key) : nil }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present() ? try decode(type, forKey: key) : nil }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present() ? try decode(type, forKey: key) : nil }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present() ? try decode(type, forKey: key) : nil }
        private func present() throws -> Bool {
            switch try decoder.takeByte() {
            case 0: false
            case 1: true
            default: throw decoder.corrupt("bad presence byte")
            }
        }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            try decoder.container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try decoder.unkeyedContainer() }
        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let decoder: BinaryStateDecoder
        let total: Int
        private(set) var currentIndex = 0
        var codingPath: [any CodingKey] { [] }
        var count: Int? { total }
        var isAtEnd: Bool { currentIndex >= total }

        init(decoder: BinaryStateDecoder, count: Int) {
            self.decoder = decoder
            total = count
        }

        private mutating func next() throws {
            guard !isAtEnd else { throw decoder.corrupt("past the end of a list") }
            currentIndex += 1
        }

        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try next()
            return try decoder.takeBytes(type) ?? T(from: decoder)
        }
        mutating func decode(_ type: Int64.Type) throws -> Int64 {
            try next()
            return try decoder.take(Int64.self)
        }
        mutating func decode(_ type: Double.Type) throws -> Double {
            try next()
            return Double(bitPattern: try decoder.take(UInt64.self))
        }
        mutating func decode(_ type: String.Type) throws -> String {
            try next()
            return try decoder.takeString()
        }
        mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
            try next()
            return try decoder.container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try next()
            return try decoder.unkeyedContainer()
        }
        mutating func superDecoder() throws -> any Decoder { decoder }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: BinaryStateDecoder
        var codingPath: [any CodingKey] { [] }
        func decodeNil() -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.value(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try decoder.take(Int64.self) }
        func decode(_ type: Int.Type) throws -> Int { Int(try decoder.take(Int64.self)) }
        func decode(_ type: Double.Type) throws -> Double { Double(bitPattern: try decoder.take(UInt64.self)) }
        func decode(_ type: Bool.Type) throws -> Bool { try decoder.takeByte() != 0 }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.takeByte() }
        func decode(_ type: String.Type) throws -> String { try decoder.takeString() }
    }
}
