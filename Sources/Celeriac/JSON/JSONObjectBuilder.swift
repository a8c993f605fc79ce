/// Collects an object's pairs in order, dropping duplicate keys as they come: a later duplicate replaces the
/// earlier one's value and keeps its position (as Python's `json.loads` does).
///
/// Small objects (the common case: a Celery message's headers hold about twenty keys) find duplicates with a
/// 64-bit filter of cheap key signatures (length, first and last byte): a key whose bit is clear is new, and
/// only a key whose bit is set is compared with the earlier keys. Above ``filterLimit`` keys the filter would
/// be mostly set, so an index of key positions takes over and the cost stays linear.
struct JSONObjectBuilder {
    /// Above this many keys, duplicates are found through a dictionary instead of the filter.
    static let filterLimit = 32

    /// The pairs so far, keys distinct.
    private(set) var pairs: [(key: String, value: JSONValue)]
    /// One bit per key signature seen.
    private var filter: UInt64 = 0
    /// Where each key is, once there are more than ``filterLimit`` keys.
    private var positions: [String: Int]?

    /// Creates an empty builder.
    /// - Parameter capacity: how many pairs to reserve room for.
    init(capacity: Int = 0) {
        pairs = []
        if capacity > 0 { pairs.reserveCapacity(capacity) }
    }

    /// Appends a pair, or replaces the value of an earlier pair with the same key.
    mutating func append(_ key: String, _ value: JSONValue) {
        append(key, value, signature: Self.signature(key))
    }

    /// Appends a pair whose key's ``signature(_:)`` the caller has already computed.
    mutating func append(_ key: String, _ value: JSONValue, signature: UInt64) {
        if positions != nil {
            appendIndexed(key, value)
            return
        }
        let bit: UInt64 = 1 << (signature & 63)
        if filter & bit != 0, let index = pairs.firstIndex(where: { $0.key == key }) {
            pairs[index].value = value
            return
        }
        filter |= bit
        pairs.append((key, value))
        if pairs.count > Self.filterLimit {
            var index: [String: Int] = [:]
            index.reserveCapacity(pairs.count * 2)
            for (position, pair) in pairs.enumerated() { index[pair.key] = position }
            positions = index
        }
    }

    private mutating func appendIndexed(_ key: String, _ value: JSONValue) {
        if let index = positions?[key] {
            pairs[index].value = value
        } else {
            positions?[key] = pairs.count
            pairs.append((key, value))
        }
    }

    /// The object built.
    var object: JSONObject { JSONObject(distinctPairs: pairs) }

    /// A number 0-63 from a key's length and its first and last UTF-8 bytes; equal keys have equal signatures.
    static func signature(_ key: String) -> UInt64 {
        if let signature = key.utf8.withContiguousStorageIfAvailable({ signature(utf8: $0) }) {
            return signature
        }
        return Array(key.utf8).withUnsafeBufferPointer { signature(utf8: $0) }
    }

    /// ``signature(_:)`` of a key given as its UTF-8 bytes.
    @inline(__always)
    static func signature(utf8 bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let first = bytes.first, let last = bytes.last else { return 0 }
        let mixed = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9 &+ UInt64(first) &* 0x85EB_CA6B &+ UInt64(last)
        return (mixed ^ (mixed >> 7) ^ (mixed >> 13)) & 63
    }
}
