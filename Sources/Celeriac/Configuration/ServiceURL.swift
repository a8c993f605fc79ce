/// A broker or result backend URL, parsed the way Celery and kombu read them.
///
/// ```swift
/// let broker = try ServiceURL("redis://:secret@cache:6379/2")
/// broker.host            // "cache"
/// broker.redisDatabase   // 2
/// "\(broker)"            // "redis://:***@cache:6379/2", never the password
///
/// let rabbit = try ServiceURL("amqp://guest:guest@rabbit:5672//")
/// rabbit.virtualHost     // "/"
///
/// let file = try ServiceURL("sqlite:////var/lib/app/celeriac.sqlite")
/// file.sqlitePath        // "/var/lib/app/celeriac.sqlite"
/// ```
///
/// Several URLs separated by semicolons (`redis://a;redis://b`, `sentinel://h1:26379;sentinel://h2:26379`)
/// give the first as the URL itself and the others as ``alternates`` (kombu's failover list).
///
/// Neither ``description``, ``debugDescription``, the mirror, nor any error thrown while parsing contains
/// the password: it is replaced by `***`.
public struct ServiceURL: Sendable, Hashable {
    /// A URL scheme Celeriac knows, as an extensible set of values.
    public struct Scheme: Sendable, Hashable, CustomStringConvertible {
        /// The scheme as written before `://` (for the PostgreSQL family, without the driver: `db+postgresql`).
        public let rawValue: String

        /// Creates a scheme from its text (lowercase).
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The scheme as written before `://`.
        public var description: String { rawValue }

        /// `sqlite:///relative.db` or `sqlite:////absolute.db`: Celeriac's embedded broker and backend.
        public static let sqlite = Scheme(rawValue: "sqlite")
        /// `redis://`: Redis over TCP.
        public static let redis = Scheme(rawValue: "redis")
        /// `rediss://`: Redis over TLS.
        public static let rediss = Scheme(rawValue: "rediss")
        /// `sentinel://`: Redis found through Sentinel.
        public static let sentinel = Scheme(rawValue: "sentinel")
        /// `amqp://`: RabbitMQ (AMQP 0-9-1).
        public static let amqp = Scheme(rawValue: "amqp")
        /// `amqps://`: RabbitMQ over TLS.
        public static let amqps = Scheme(rawValue: "amqps")
        /// `pyamqp://`: py-amqp's name for `amqp://`.
        public static let pyamqp = Scheme(rawValue: "pyamqp")
        /// `rpc://`: results sent back as AMQP messages.
        public static let rpc = Scheme(rawValue: "rpc")
        /// `db+postgresql://` (or `db+postgresql+DRIVER://`): SQLAlchemy's PostgreSQL result backend.
        public static let dbPostgresql = Scheme(rawValue: "db+postgresql")
        /// `django-db`: django-celery-results' tables.
        public static let djangoDB = Scheme(rawValue: "django-db")
        /// `memory://`: an in-process broker or backend, for tests.
        public static let memory = Scheme(rawValue: "memory")

        /// Every scheme the parser accepts, in the order error messages list them.
        public static let supported: [Scheme] = [
            .sqlite, .redis, .rediss, .sentinel, .amqp, .amqps, .pyamqp, .rpc, .dbPostgresql, .djangoDB, .memory,
        ]
        /// The schemes a broker URL may use.
        public static let brokerSchemes: [Scheme] = [.sqlite, .redis, .rediss, .sentinel, .amqp, .amqps, .pyamqp, .memory]
        /// The schemes a result backend URL may use.
        public static let backendSchemes: [Scheme] = [
            .sqlite, .redis, .rediss, .sentinel, .rpc, .dbPostgresql, .djangoDB, .memory,
        ]

        /// The port used when the URL names none, or `nil` for schemes without a network server.
        public var defaultPort: Int? {
            switch self {
            case .redis, .rediss: 6379
            case .sentinel: 26379
            case .amqp, .pyamqp: 5672
            case .amqps: 5671
            case .dbPostgresql: 5432
            default: nil
            }
        }

        /// Whether the scheme names a network server (and so has a host, `localhost` when the URL gives none).
        public var isNetworked: Bool { defaultPort != nil }

        /// Whether the scheme speaks the Redis protocol (`redis`, `rediss`, `sentinel`).
        public var isRedis: Bool { self == .redis || self == .rediss || self == .sentinel }

        /// Whether the scheme speaks AMQP (`amqp`, `amqps`, `pyamqp`).
        public var isAMQP: Bool { self == .amqp || self == .amqps || self == .pyamqp }
    }

    /// One `name=value` pair of the query string, percent-decoded (`+` is a space, as in Python's `parse_qsl`).
    public struct QueryItem: Sendable, Hashable {
        /// The name.
        public var name: String
        /// The value; empty for `?name=` or `?name`.
        public var value: String

        /// Creates a query item.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The scheme.
    public var scheme: Scheme
    /// The SQLAlchemy driver after the dialect (`psycopg` in `db+postgresql+psycopg://`), or the database after
    /// `django-db+` (`postgresql` in `django-db+postgresql://`), if any.
    public var driver: String?
    /// The host, percent-decoded and lowercased; `localhost` for a networked scheme whose URL names none
    /// (`redis://`, as kombu does), `nil` for schemes without a server (`sqlite`, `memory`, `rpc`, `django-db`).
    public var host: String?
    /// The port: the URL's, or the scheme's ``Scheme/defaultPort``.
    public var port: Int?
    /// The user name, percent-decoded, or `nil` when empty.
    public var user: String?
    /// The password, percent-decoded, or `nil` when empty. Never printed.
    public var password: String?
    /// The path after the authority's `/`, percent-decoded: `0` in `redis://h/0`, `/` in `amqp://h//`,
    /// `/abs/file.db` in `sqlite:////abs/file.db`; empty when there is none.
    public var path: String
    /// The query items in order.
    public var queryItems: [QueryItem]
    /// The failover URLs given after semicolons, in order (each without alternates of its own).
    public var alternates: [ServiceURL]
    /// The URL as written, with the password replaced by `***` (a single URL, without alternates).
    var redactedText: String

    /// The AMQP virtual host for `amqp`, `amqps` and `pyamqp` URLs: the decoded path, `/` when empty.
    public var virtualHost: String? {
        guard scheme.isAMQP else { return nil }
        return path.isEmpty ? "/" : path
    }

    /// The Redis database number for `redis`, `rediss` and `sentinel` URLs: the path, `0` when empty.
    public var redisDatabase: Int? {
        guard scheme.isRedis else { return nil }
        return path.isEmpty ? 0 : Int(path)
    }

    /// The SQLite file for `sqlite` URLs: relative after three slashes, absolute after four
    /// (SQLAlchemy's rule); `:memory:` is passed through.
    public var sqlitePath: String? { scheme == .sqlite ? path : nil }

    /// The database name for `db+postgresql` URLs, or `nil` when the URL names none.
    public var databaseName: String? { scheme == .dbPostgresql && !path.isEmpty ? path : nil }

    /// Whether the scheme itself asks for TLS (`rediss`, `amqps`).
    public var usesTLS: Bool { scheme == .rediss || scheme == .amqps }

    /// This URL (without its alternates) followed by its alternates: every server to try, in order.
    public var allURLs: [ServiceURL] {
        var first = self
        first.alternates = []
        return [first] + alternates
    }

    /// The last value given for a query item, or `nil` when it is absent (`dict(parse_qsl(...))` semantics).
    ///
    /// - Parameter name: the item's name, compared exactly.
    /// - Returns: the decoded value, possibly empty.
    public func queryValue(_ name: String) -> String? {
        queryItems.last(where: { $0.name == name })?.value
    }
}

extension ServiceURL: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The URL with its password replaced by `***`, alternates joined by `;`.
    public var description: String {
        ([redactedText] + alternates.map(\.redactedText)).joined(separator: ";")
    }

    /// Same as ``description``: no password.
    public var debugDescription: String { "ServiceURL(\(description))" }

    /// A mirror without the password, so `dump(url)` cannot leak it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "scheme": scheme.rawValue, "host": host as Any, "port": port as Any, "user": user as Any,
                "password": password == nil ? "nil" : "***", "path": path, "alternates": alternates.count,
            ],
            displayStyle: .struct
        )
    }
}
