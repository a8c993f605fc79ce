import NIOCore

/// Writes commands as RESP arrays of bulk strings into one buffer, reused from command to command.
///
/// ```swift
/// var encoder = RESPCommandEncoder()
/// encoder.encode(RESPCommand("GET", "key"))   // *2\r\n$3\r\nGET\r\n$3\r\nkey\r\n
/// channel.write(encoder.buffer)
/// encoder.reset()
/// ```
public struct RESPCommandEncoder: Sendable {
    /// The encoded bytes since the last ``reset()``.
    public private(set) var buffer: ByteBuffer

    /// Creates an encoder with an empty buffer.
    /// - Parameter allocator: The allocator for the buffer.
    public init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.buffer = allocator.buffer(capacity: 256)
    }

    /// Empties the buffer, keeping its storage when no one else holds it.
    public mutating func reset() {
        self.buffer.clear()
    }

    /// Appends one command.
    /// - Parameter command: The command to encode.
    public mutating func encode(_ command: RESPCommand) {
        self.writeHeader(UInt8(ascii: "*"), command.arguments.count + 1)
        self.writeBulk(string: command.name)
        for argument in command.arguments {
            switch argument {
            case .bytes(let bytes):
                self.writeHeader(UInt8(ascii: "$"), bytes.readableBytes)
                self.buffer.writeImmutableBuffer(bytes)
                self.writeCRLF()
            case .string(let string):
                self.writeBulk(string: string)
            case .integer(let int):
                self.writeBulk(string: String(int))
            case .double(let double):
                self.writeBulk(string: RESPCommand.Argument.format(double))
            }
        }
    }

    /// Appends several commands, one after the other, as a pipeline sends them.
    /// - Parameter commands: The commands to encode.
    public mutating func encode(_ commands: some Sequence<RESPCommand>) {
        for command in commands { self.encode(command) }
    }

    private mutating func writeBulk(string: String) {
        self.writeHeader(UInt8(ascii: "$"), string.utf8.count)
        self.buffer.writeString(string)
        self.writeCRLF()
    }

    private mutating func writeHeader(_ type: UInt8, _ count: Int) {
        self.buffer.writeInteger(type)
        self.buffer.writeString(String(count))
        self.writeCRLF()
    }

    private mutating func writeCRLF() {
        self.buffer.writeInteger(UInt16(0x0D0A))
    }
}
