/// An AMQP field table: named values in the order they were written.
///
/// Order is kept so that a decoded table encodes to the same bytes; equality compares order too. Lookups by key
/// find the first field of that name.
public struct AMQPTable: Hashable, Sendable, ExpressibleByDictionaryLiteral, Sequence {
    /// One named value.
    public struct Field: Hashable, Sendable {
        /// The field name (a short string, at most 255 bytes).
        public var key: String
        /// The value.
        public var value: AMQPFieldValue

        /// Creates a field.
        /// - Parameters:
        ///   - key: The field name.
        ///   - value: The value.
        public init(key: String, value: AMQPFieldValue) {
            self.key = key
            self.value = value
        }
    }

    /// The fields in wire order.
    public var fields: [Field]

    /// An empty table.
    public init() { self.fields = [] }

    /// A table with the given fields.
    /// - Parameter fields: The fields in wire order.
    public init(fields: [Field]) { self.fields = fields }

    /// A table with the literal's fields, in the literal's order.
    public init(dictionaryLiteral elements: (String, AMQPFieldValue)...) {
        self.fields = elements.map { Field(key: $0.0, value: $0.1) }
    }

    /// Whether the table has no fields.
    public var isEmpty: Bool { self.fields.isEmpty }

    /// The first value named `key`; setting replaces it in place, or appends a new field; setting `nil` removes it.
    public subscript(key: String) -> AMQPFieldValue? {
        get { self.fields.first { $0.key == key }?.value }
        set {
            if let index = self.fields.firstIndex(where: { $0.key == key }) {
                if let newValue { self.fields[index].value = newValue } else { self.fields.remove(at: index) }
            } else if let newValue {
                self.fields.append(Field(key: key, value: newValue))
            }
        }
    }

    /// Iterates the fields in wire order.
    public func makeIterator() -> IndexingIterator<[Field]> { self.fields.makeIterator() }
}
