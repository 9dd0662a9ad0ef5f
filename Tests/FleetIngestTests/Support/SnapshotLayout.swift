/// The shape a value encodes to: every coding path it visits and the type stored there, nothing of the
/// values. Snapshots are positional (`BinaryState`), so a field added, removed, reordered or retyped
/// reads old bytes wrongly; the union of the shapes of many states is the layout a version stands for.
final class SnapshotLayout {
    private(set) var entries: Set<String> = []

    func record<T: Encodable>(_ value: T) throws {
        try value.encode(to: Recorder(layout: self, path: "$"))
    }

    /// FNV-1a over the sorted entries: stable across runs and platforms (Swift's `Hasher` is seeded per process).
    var fingerprint: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in entries.sorted().joined(separator: "\n").utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    fileprivate func add(_ path: String, _ type: String) { entries.insert("\(path): \(type)") }

    /// Records `value` at `path` and, unless it is a primitive (which encodes itself through a single-value
    /// container, endlessly here), what it is made of.
    fileprivate func visit<T: Encodable>(_ value: T, at path: String) throws {
        add(path, String(describing: T.self))
        switch value {
        case is Bool, is String, is Double, is Float, is Int, is Int8, is Int16, is Int32, is Int64,
             is UInt, is UInt8, is UInt16, is UInt32, is UInt64: return
        default: try value.encode(to: Recorder(layout: self, path: path))
        }
    }

    private struct Recorder: Encoder {
        let layout: SnapshotLayout
        let path: String
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            layout.add(path, "{}")
            return KeyedEncodingContainer(Keyed<Key>(layout: layout, path: path))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            layout.add(path, "[]")
            return Unkeyed(layout: layout, path: path + "[]")
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(layout: layout, path: path) }
    }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let layout: SnapshotLayout
        let path: String
        var codingPath: [any CodingKey] { [] }

        func encodeNil(forKey key: Key) throws { layout.add(path + "." + key.stringValue, "nil") }
        func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try layout.visit(value, at: path + "." + key.stringValue)
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            Recorder(layout: layout, path: path + "." + key.stringValue).container(keyedBy: keyType)
        }
        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            Recorder(layout: layout, path: path + "." + key.stringValue).unkeyedContainer()
        }
        func superEncoder() -> any Encoder { Recorder(layout: layout, path: path + ".super") }
        func superEncoder(forKey key: Key) -> any Encoder { Recorder(layout: layout, path: path + "." + key.stringValue) }
    }

    private struct Unkeyed: UnkeyedEncodingContainer {
        let layout: SnapshotLayout
        let path: String
        var codingPath: [any CodingKey] { [] }
        var count = 0

        mutating func encodeNil() throws { layout.add(path, "nil") }
        mutating func encode<T: Encodable>(_ value: T) throws {
            count += 1
            try layout.visit(value, at: path)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            Recorder(layout: layout, path: path).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { Recorder(layout: layout, path: path).unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { Recorder(layout: layout, path: path) }
    }

    private struct Single: SingleValueEncodingContainer {
        let layout: SnapshotLayout
        let path: String
        var codingPath: [any CodingKey] { [] }

        func encodeNil() throws { layout.add(path, "nil") }
        func encode<T: Encodable>(_ value: T) throws { try layout.visit(value, at: path) }
    }
}
