/// The keys a wire object (headers, properties, embed) has fields for, found by a cheap signature (length,
/// first and last byte) before a single string comparison, instead of hashing every key or comparing it with
/// every name.
struct WireKeyTable: Sendable {
    /// The known keys; a key's slot is its index here.
    let names: [String]
    /// ``JSONObjectBuilder/signature(_:)``-style numbers of ``names``, wider so that they rarely collide.
    private let signatures: [UInt32]

    /// Creates a table.
    /// - Parameter names: the known keys, distinct.
    init(_ names: [String]) {
        precondition(names.count <= WireSlotPositions.capacity, "a WireKeyTable holds at most \(WireSlotPositions.capacity) keys")
        self.names = names
        signatures = names.map(Self.signature)
    }

    /// The slot of `key`, or nil when it is not a known key.
    func slot(of key: String) -> Int? {
        let signature = Self.signature(key)
        for index in signatures.indices where signatures[index] == signature && names[index] == key { return index }
        return nil
    }

    /// Whether `key` is a known key.
    func contains(_ key: String) -> Bool { slot(of: key) != nil }

    /// Length, first and last UTF-8 byte packed in one number; equal keys have equal signatures.
    private static func signature(_ key: String) -> UInt32 {
        let utf8 = key.utf8
        let count = UInt32(truncatingIfNeeded: utf8.count)
        if let packed = utf8.withContiguousStorageIfAvailable({ bytes -> UInt32 in
            guard let first = bytes.first, let last = bytes.last else { return 0 }
            return count << 16 | UInt32(first) << 8 | UInt32(last)
        }) {
            return packed
        }
        guard let first = utf8.first, let last = utf8.last else { return 0 }
        return count << 16 | UInt32(first) << 8 | UInt32(last)
    }
}

/// Where each known key of a ``WireKeyTable`` is in an object's pairs, stored inline: reading a message's
/// headers allocates nothing for it.
struct WireSlotPositions {
    /// The most slots, hence the most keys a ``WireKeyTable`` holds.
    static let capacity = 24

    /// 24 × Int32 of position + 1 (0: absent).
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    /// The position in the pairs of the key in `slot`, or nil when the object has no such key.
    subscript(slot: Int) -> Int? {
        get {
            precondition(slot >= 0 && slot < Self.capacity)
            let stored = withUnsafeBytes(of: storage) { $0.load(fromByteOffset: slot * 4, as: UInt32.self) }
            return stored == 0 ? nil : Int(stored) - 1
        }
        set {
            precondition(slot >= 0 && slot < Self.capacity)
            let stored = newValue.map { UInt32(truncatingIfNeeded: $0 + 1) } ?? 0
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: stored, toByteOffset: slot * 4, as: UInt32.self) }
        }
    }
}
