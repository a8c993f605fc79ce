import NIOCore

/// A Redis command: a name and its arguments, sent as a RESP array of bulk strings.
///
/// ```swift
/// let set = RESPCommand("SET", "greeting", "hello", "EX", 60)
/// let push = RESPCommand("LPUSH", arguments: [.string("queue"), .bytes(body)])
/// ```
public struct RESPCommand: Sendable, Hashable, CustomStringConvertible {
    /// One argument of a command; every kind is sent as a bulk string.
    public enum Argument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
        ExpressibleByFloatLiteral
    {
        /// Raw bytes, sent as they are.
        case bytes(ByteBuffer)
        /// Text, sent as UTF-8.
        case string(String)
        /// An integer, sent in decimal.
        case integer(Int)
        /// A floating-point number, sent in Redis's notation (`1.5`, `inf`, `-inf`).
        case double(Double)

        /// Creates a ``string(_:)`` argument.
        public init(stringLiteral value: String) { self = .string(value) }
        /// Creates an ``integer(_:)`` argument.
        public init(integerLiteral value: Int) { self = .integer(value) }
        /// Creates a ``double(_:)`` argument.
        public init(floatLiteral value: Double) { self = .double(value) }

        /// The argument as Redis receives it, decoded as UTF-8 text.
        public var text: String {
            switch self {
            case .bytes(let buffer): return String(buffer: buffer)
            case .string(let string): return string
            case .integer(let int): return String(int)
            case .double(let double): return RESPCommand.Argument.format(double)
            }
        }

        static func format(_ value: Double) -> String {
            if value == .infinity { return "inf" }
            if value == -.infinity { return "-inf" }
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        }
    }

    /// The command's name, such as `GET` or `CLIENT`.
    public var name: String
    /// The arguments after the name.
    public var arguments: [Argument]

    /// Creates a command.
    /// - Parameters:
    ///   - name: The command's name, such as `GET`.
    ///   - arguments: The arguments after the name.
    public init(_ name: String, arguments: [Argument]) {
        self.name = name
        self.arguments = arguments
    }

    /// Creates a command from a name and a variadic list of arguments.
    /// - Parameters:
    ///   - name: The command's name, such as `GET`.
    ///   - arguments: The arguments after the name.
    public init(_ name: String, _ arguments: Argument...) {
        self.init(name, arguments: arguments)
    }

    /// The name alone, so logs never show keys, payloads or passwords.
    public var description: String { self.name.uppercased() }

    /// Whether the command can block the connection waiting for data (`BLPOP`, `BRPOP`, `BLMOVE`, `BLMPOP`,
    /// `BZPOPMIN`, `XREAD ... BLOCK`, `WAIT`, ...). Cancelling such a command closes its connection, so that a
    /// late reply (a popped message) can't be lost on a connection reused by someone else.
    public var isBlocking: Bool {
        switch self.name.uppercased() {
        case "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF":
            return true
        case "XREAD", "XREADGROUP":
            return self.arguments.contains { $0.text.uppercased() == "BLOCK" }
        default:
            return false
        }
    }

    /// How long the server may block before answering a blocking command, read from its arguments; `nil` for
    /// non-blocking commands and for blocking ones that wait forever (a timeout of `0`).
    public var blockingTimeout: Duration? {
        let seconds: Double?
        switch self.name.uppercased() {
        case "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BZPOPMIN", "BZPOPMAX":
            seconds = self.arguments.last.flatMap { Double($0.text) }
        case "BLMPOP", "BZMPOP":
            seconds = self.arguments.first.flatMap { Double($0.text) }
        case "XREAD", "XREADGROUP":
            let index = self.arguments.firstIndex { $0.text.uppercased() == "BLOCK" }
            let value = index.flatMap { $0 + 1 < self.arguments.count ? self.arguments[$0 + 1] : nil }
            seconds = value.flatMap { Double($0.text) }.map { $0 / 1000 }
        case "WAIT", "WAITAOF":
            seconds = self.arguments.last.flatMap { Double($0.text) }.map { $0 / 1000 }
        default:
            seconds = nil
        }
        guard let seconds, seconds > 0, seconds.isFinite else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}
