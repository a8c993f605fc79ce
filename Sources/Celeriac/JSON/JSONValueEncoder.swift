/// Encodes `Encodable` values straight into a ``JSONValue``, with no trip through JSON text.
///
/// Object keys keep the order the value encodes them in, and a property of type ``JSONValue`` is kept as
/// it is.
public struct JSONValueEncoder: Sendable {
    /// Creates an encoder.
    public init() {}

    /// Encodes `value`.
    /// - Throws: `EncodingError` when the value refuses to encode (a non-finite float is kept as Python does).
    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if let direct = value as? JSONValue { return direct }
        let root = EncodedNode()
        try value.encode(to: ValueEncoder(node: root, codingPath: []))
        return root.value
    }
}

/// A mutable slot in the tree being built; reference semantics let nested containers fill their parent.
private final class EncodedNode {
    enum Content {
        case value(JSONValue)
        case object([(String, EncodedNode)])
        case array([EncodedNode])
    }

    var content: Content = .value(.object([:]))

    var value: JSONValue {
        switch content {
        case .value(let value): value
        case .object(let pairs): .object(JSONObject(pairs.map { ($0.0, $0.1.value) }))
        case .array(let items): .array(items.map(\.value))
        }
    }

    func child(forKey key: String) -> EncodedNode {
        var pairs: [(String, EncodedNode)] = []
        if case .object(let existing) = content { pairs = existing }
        if let found = pairs.first(where: { $0.0 == key }) { return found.1 }
        let node = EncodedNode()
        pairs.append((key, node))
        content = .object(pairs)
        return node
    }

    func appendChild() -> EncodedNode {
        var items: [EncodedNode] = []
        if case .array(let existing) = content { items = existing }
        let node = EncodedNode()
        items.append(node)
        content = .array(items)
        return node
    }
}

private struct ValueEncoder: Encoder {
    let node: EncodedNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(node: node, codingPath: codingPath) }
}

private func encodeValue<T: Encodable>(_ value: T, into node: EncodedNode, codingPath: [any CodingKey]) throws {
    if let direct = value as? JSONValue {
        node.content = .value(direct)
        return
    }
    try value.encode(to: ValueEncoder(node: node, codingPath: codingPath))
}

private struct SingleContainer: SingleValueEncodingContainer {
    let node: EncodedNode
    let codingPath: [any CodingKey]

    func encodeNil() { node.content = .value(.null) }
    func encode(_ value: Bool) { node.content = .value(.bool(value)) }
    func encode(_ value: String) { node.content = .value(.string(value)) }
    func encode(_ value: Double) { node.content = .value(.double(value)) }
    func encode(_ value: Float) { node.content = .value(.double(Double(value))) }
    func encode(_ value: Int) { node.content = .value(.int(value)) }
    func encode(_ value: Int8) { node.content = .value(.int(Int(value))) }
    func encode(_ value: Int16) { node.content = .value(.int(Int(value))) }
    func encode(_ value: Int32) { node.content = .value(.int(Int(value))) }
    func encode(_ value: Int64) { node.content = .value(.int(Int(value))) }
    func encode(_ value: UInt) { node.content = .value(value <= UInt(Int.max) ? .int(Int(value)) : .double(Double(value))) }
    func encode(_ value: UInt8) { node.content = .value(.int(Int(value))) }
    func encode(_ value: UInt16) { node.content = .value(.int(Int(value))) }
    func encode(_ value: UInt32) { node.content = .value(.int(Int(value))) }
    func encode(_ value: UInt64) { node.content = .value(value <= UInt64(Int.max) ? .int(Int(value)) : .double(Double(value))) }
    func encode<T: Encodable>(_ value: T) throws { try encodeValue(value, into: node, codingPath: codingPath) }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodedNode
    let codingPath: [any CodingKey]

    func single(_ key: Key) -> SingleContainer { SingleContainer(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]) }

    func encodeNil(forKey key: Key) { single(key).encodeNil() }
    func encode(_ value: Bool, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: String, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: Double, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: Float, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: Int, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: Int8, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: Int16, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: Int32, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: Int64, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: UInt, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: UInt8, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: UInt16, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: UInt32, forKey key: Key) { single(key).encode(value) }
    func encode(_ value: UInt64, forKey key: Key) { single(key).encode(value) }
    func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try single(key).encode(value) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }
    func superEncoder() -> any Encoder { ValueEncoder(node: node.child(forKey: "super"), codingPath: codingPath) }
    func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(node: node.child(forKey: key.stringValue), codingPath: codingPath + [key]) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: EncodedNode
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let items) = node.content { return items.count }
        return 0
    }

    func next() -> SingleContainer { SingleContainer(node: node.appendChild(), codingPath: codingPath) }

    mutating func encodeNil() { next().encodeNil() }
    mutating func encode(_ value: Bool) { next().encode(value) }
    mutating func encode(_ value: String) { next().encode(value) }
    mutating func encode(_ value: Double) { next().encode(value) }
    mutating func encode(_ value: Float) { next().encode(value) }
    mutating func encode(_ value: Int) { next().encode(value) }
    mutating func encode(_ value: Int8) { next().encode(value) }
    mutating func encode(_ value: Int16) { next().encode(value) }
    mutating func encode(_ value: Int32) { next().encode(value) }
    mutating func encode(_ value: Int64) { next().encode(value) }
    mutating func encode(_ value: UInt) { next().encode(value) }
    mutating func encode(_ value: UInt8) { next().encode(value) }
    mutating func encode(_ value: UInt16) { next().encode(value) }
    mutating func encode(_ value: UInt32) { next().encode(value) }
    mutating func encode(_ value: UInt64) { next().encode(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try next().encode(value) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        ValueEncoder(node: node.appendChild(), codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        ValueEncoder(node: node.appendChild(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.appendChild(), codingPath: codingPath) }
}
