import Celeriac
import CeleriacAMQP

extension AMQPTable {
    /// A header table from JSON, with the type tags py-amqp writes (`amqp/serialization.py:_write_item`):
    /// strings `S`, booleans `t`, integers `I` within 32 bits and `L` beyond, floats `d`, `null` `V`, lists `A`
    /// and objects `F`, keys in their JSON order.
    /// - Parameter json: the headers object of a kombu envelope.
    init(json: JSONObject) {
        self.init(fields: json.map { Field(key: $0.key, value: AMQPFieldValue(json: $0.value)) })
    }

    /// The table as JSON, keys in table order (see ``AMQPFieldValue/jsonValue``).
    var jsonObject: JSONObject {
        JSONObject(self.fields.map { ($0.key, $0.value.jsonValue) })
    }
}

extension AMQPFieldValue {
    /// The field value py-amqp writes for a JSON value.
    init(json: JSONValue) {
        switch json {
        case .null: self = .void
        case .bool(let value): self = .bool(value)
        case .int(let value):
            if let small = Int32(exactly: value) { self = .int32(small) } else { self = .uint64(UInt64(bitPattern: Int64(value))) }
        case .double(let value): self = .double(value)
        case .string(let value): self = .string(value)
        case .array(let values): self = .array(values.map(AMQPFieldValue.init(json:)))
        case .object(let object): self = .table(AMQPTable(json: object))
        }
    }

    /// The value as JSON, as kombu hands it to Celery: integers of any width as numbers, decimals and floats as
    /// doubles, timestamps as seconds since 1970, byte arrays as text (invalid UTF-8 is replaced), `V` as `null`.
    var jsonValue: JSONValue {
        switch self {
        case .bool(let value): .bool(value)
        case .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64: .int(self.intValue ?? 0)
        case .float(let value): .double(Double(value))
        case .double(let value): .double(value)
        case .decimal(let scale, let value): .double(Double(value) / pow10(Int(scale)))
        case .longString(let bytes), .bytes(let bytes): .string(String(decoding: bytes, as: UTF8.self))
        case .array(let values): .array(values.map(\.jsonValue))
        case .timestamp(let seconds): .int(Int(clamping: seconds))
        case .table(let table): .object(table.jsonObject)
        case .void: .null
        }
    }
}

/// `10^exponent` as a double, for decimal field values.
private func pow10(_ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<exponent { result *= 10 }
    return result
}
