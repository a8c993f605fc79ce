import Testing

@testable import Celeriac

/// Runs `body` and returns the ``CeleriacError`` it throws, recording an issue when it throws none.
func expectConfigError(
    _ code: CeleriacError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> CeleriacError? {
    do {
        try body()
        Issue.record("expected a CeleriacError(\(code))", sourceLocation: sourceLocation)
        return nil
    } catch let error as CeleriacError {
        #expect(error.code == code, sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a CeleriacError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite("ServiceURL parsing")
struct ConfigurationServiceURLTests {
    @Test func redisWithPasswordAndDatabase() throws {
        let url = try ServiceURL("redis://:s3cret@cache.local:6380/2")
        #expect(url.scheme == .redis)
        #expect(url.host == "cache.local")
        #expect(url.port == 6380)
        #expect(url.user == nil)
        #expect(url.password == "s3cret")
        #expect(url.redisDatabase == 2)
        #expect(url.virtualHost == nil)
        #expect(url.description == "redis://:***@cache.local:6380/2")
        #expect(!"\(url)".contains("s3cret"))
        #expect(!String(reflecting: url).contains("s3cret"))
        var dumped = ""
        dump(url, to: &dumped)
        #expect(!dumped.contains("s3cret"))
    }

    @Test func redisDefaults() throws {
        let url = try ServiceURL("redis://")
        #expect(url.host == "localhost")
        #expect(url.port == 6379)
        #expect(url.redisDatabase == 0)
        let bare = try ServiceURL("redis")
        #expect(bare.host == "localhost" && bare.port == 6379)
        let noDB = try ServiceURL("redis://h")
        #expect(noDB.redisDatabase == 0)
    }

    @Test func redissWithQuery() throws {
        let url = try ServiceURL("rediss://user:p%40ss@h:6390/1?ssl_cert_reqs=required&x=a+b%21")
        #expect(url.scheme == .rediss)
        #expect(url.usesTLS)
        #expect(url.user == "user")
        #expect(url.password == "p@ss")
        #expect(url.queryValue("ssl_cert_reqs") == "required")
        #expect(url.queryValue("x") == "a b!")
        #expect(url.queryItems.count == 2)
        #expect(url.description == "rediss://user:***@h:6390/1?ssl_cert_reqs=required&x=a+b%21")
    }

    @Test func blankQueryValueIsKept() throws {
        let url = try ServiceURL("amqp://h/?virtual_host=")
        #expect(url.queryValue("virtual_host") == "")
        #expect(url.queryValue("missing") == nil)
    }

    @Test func passwordQueryItemIsRedacted() throws {
        let url = try ServiceURL("sentinel://h:26379?sentinel_password=topsecret&master_name=mymaster")
        #expect(url.queryValue("master_name") == "mymaster")
        #expect(!url.description.contains("topsecret"))
    }

    @Test func passwordWithAtSignSplitsAtLastAt() throws {
        let url = try ServiceURL("redis://:p@ss@h:6379/0")
        #expect(url.password == "p@ss")
        #expect(url.host == "h")
        #expect(url.description == "redis://:***@h:6379/0")
    }

    @Test func sentinelFailoverList() throws {
        let url = try ServiceURL("sentinel://:pw@h1:26379/3;sentinel://:pw@h2:26380;sentinel://h3")
        #expect(url.scheme == .sentinel)
        #expect(url.host == "h1" && url.port == 26379)
        #expect(url.redisDatabase == 3)
        #expect(url.alternates.map(\.host) == ["h2", "h3"])
        #expect(url.alternates.map(\.port) == [26380, 26379])
        #expect(url.allURLs.count == 3)
        #expect(url.allURLs[0].alternates.isEmpty)
        #expect(url.description == "sentinel://:***@h1:26379/3;sentinel://:***@h2:26380;sentinel://h3")
    }

    @Test func redisFailoverAndTrailingSemicolon() throws {
        let url = try ServiceURL(" redis://a ; redis://b:7000 ;")
        #expect(url.host == "a")
        #expect(url.alternates.count == 1)
        #expect(url.alternates.first?.port == 7000)
    }

    @Test func mixedFailoverSchemesAreRejected() {
        let error = expectConfigError(.invalidURL) { _ = try ServiceURL("redis://:pw@a;amqp://:pw@b") }
        #expect(error?.message.contains("same scheme") == true)
        #expect(error?.message.contains("pw") == false)
    }

    @Test(arguments: [
        ("amqp://guest:guest@rabbit:5672//", "/", 5672),
        ("amqp://rabbit", "/", 5672),
        ("amqp://rabbit/", "/", 5672),
        ("amqp://rabbit/myvhost", "myvhost", 5672),
        ("amqp://rabbit/%2F", "/", 5672),
        ("amqp://rabbit/a%2Fb", "a/b", 5672),
        ("amqps://rabbit:5999/prod", "prod", 5999),
        ("amqps://rabbit", "/", 5671),
        ("pyamqp://rabbit//", "/", 5672),
    ])
    func amqpVirtualHost(text: String, vhost: String, port: Int) throws {
        let url = try ServiceURL(text)
        #expect(url.virtualHost == vhost)
        #expect(url.port == port)
        #expect(url.host == "rabbit")
    }

    @Test func amqpCredentialsAreDecodedAndRedacted() throws {
        let url = try ServiceURL("amqp://us%3Aer:pa%2Fss@rabbit:5672//")
        #expect(url.user == "us:er")
        #expect(url.password == "pa/ss")
        #expect(url.description == "amqp://us%3Aer:***@rabbit:5672//")
    }

    @Test func sqlitePaths() throws {
        #expect(try ServiceURL("sqlite:///relative.db").sqlitePath == "relative.db")
        #expect(try ServiceURL("sqlite:///dir/relative.db").sqlitePath == "dir/relative.db")
        #expect(try ServiceURL("sqlite:////abs/path.db").sqlitePath == "/abs/path.db")
        #expect(try ServiceURL("sqlite:///:memory:").sqlitePath == ":memory:")
        let url = try ServiceURL("sqlite:///celeriac.sqlite")
        #expect(url.host == nil && url.port == nil)
        #expect(url.description == "sqlite:///celeriac.sqlite")
    }

    @Test func sqliteDefects() {
        let noPath = expectConfigError(.invalidURL) { _ = try ServiceURL("sqlite://") }
        #expect(noPath?.message.contains("no file path") == true)
        let withHost = expectConfigError(.invalidURL) { _ = try ServiceURL("sqlite://host/file.db") }
        #expect(withHost?.message.contains("three slashes") == true)
    }

    @Test func postgresFamily() throws {
        let url = try ServiceURL("db+postgresql://celery:pw@db.local/results")
        #expect(url.scheme == .dbPostgresql)
        #expect(url.driver == nil)
        #expect(url.port == 5432)
        #expect(url.databaseName == "results")
        #expect(url.description == "db+postgresql://celery:***@db.local/results")
        let psycopg = try ServiceURL("db+postgresql+psycopg://u@h:5433/db")
        #expect(psycopg.scheme == .dbPostgresql)
        #expect(psycopg.driver == "psycopg")
        #expect(psycopg.port == 5433)
        #expect(try ServiceURL("DB+PostgreSQL+Psycopg2://h/db").driver == "psycopg2")
    }

    @Test func schemesWithoutServer() throws {
        #expect(try ServiceURL("rpc://").scheme == .rpc)
        #expect(try ServiceURL("rpc").scheme == .rpc)
        let django = try ServiceURL("django-db")
        #expect(django.scheme == .djangoDB)
        #expect(django.host == nil && django.port == nil)
        #expect(django.description == "django-db")
        #expect(try ServiceURL("memory://").scheme == .memory)
        #expect(try ServiceURL("memory://localhost/").host == "localhost")
    }

    @Test func ipv6Host() throws {
        let url = try ServiceURL("redis://[::1]:7000/0")
        #expect(url.host == "::1")
        #expect(url.port == 7000)
    }

    @Test func emptyURL() {
        let error = expectConfigError(.invalidURL) { _ = try ServiceURL("  ") }
        #expect(error?.message.contains("Empty URL") == true)
        _ = expectConfigError(.invalidURL) { _ = try ServiceURL(";") }
    }

    @Test func noScheme() {
        let error = expectConfigError(.invalidURL) { _ = try ServiceURL("localhost:6379/0") }
        #expect(error?.message.contains("no scheme") == true)
        let empty = expectConfigError(.invalidURL) { _ = try ServiceURL("://host") }
        #expect(empty?.message.contains("no valid scheme") == true)
    }

    @Test func unsupportedSchemeListsSupported() {
        let error = expectConfigError(.invalidURL) { _ = try ServiceURL("mongodb://:pw@h/db") }
        let message = error?.message ?? ""
        #expect(message.contains("Unsupported URL scheme \"mongodb\""))
        for scheme in ["sqlite://", "redis://", "rediss://", "sentinel://", "amqp://", "amqps://", "pyamqp://", "rpc://", "db+postgresql://", "django-db", "memory://"] {
            #expect(message.contains(scheme), "missing \(scheme)")
        }
        #expect(!message.contains("pw"))
        let postgres = expectConfigError(.invalidURL) { _ = try ServiceURL("postgresql://h/db") }
        #expect(postgres?.message.contains("db+postgresql://") == true)
    }

    @Test(arguments: ["redis://:topsecret@h:abc/0", "redis://:topsecret@h:0/0", "redis://:topsecret@h:70000/0", "amqp://u:topsecret@h:-1//"])
    func badPort(text: String) {
        let error = expectConfigError(.invalidURL) { _ = try ServiceURL(text) }
        #expect(error?.message.contains("Bad port") == true)
        #expect(error?.message.contains("topsecret") == false)
        #expect(error?.description.contains("topsecret") == false)
    }

    @Test func emptyPortMeansDefault() throws {
        #expect(try ServiceURL("redis://h:/0").port == 6379)
    }

    @Test(arguments: ["redis://:topsecret@:6379/0", "amqp://user:topsecret@/vhost", "redis://:6379"])
    func missingHost(text: String) {
        let error = expectConfigError(.invalidURL) { _ = try ServiceURL(text) }
        #expect(error?.message.contains("Missing host") == true)
        #expect(error?.message.contains("topsecret") == false)
    }

    @Test(arguments: ["redis://:topsecret@h:6379/abc", "rediss://h/0/1", "sentinel://h/-1", "redis://h/99999999999999999999999"])
    func badDatabaseNumber(text: String) {
        let error = expectConfigError(.invalidURL) { _ = try ServiceURL(text) }
        #expect(error?.message.contains("Bad Redis database number") == true)
        #expect(error?.message.contains("topsecret") == false)
    }

    @Test func fragmentIsRejectedWithoutLeakingPassword() {
        let error = expectConfigError(.invalidURL) { _ = try ServiceURL("redis://:abc#def@h/0") }
        #expect(error?.message.contains("%23") == true)
        #expect(error?.message.contains("abc#def") == false)
    }

    @Test func redactHandlesUnparseableText() {
        #expect(ServiceURL.redact("redis://:pw@h:bad/0") == "redis://:***@h:bad/0")
        #expect(ServiceURL.redact("amqp://user:pw@h//;amqp://u2:pw2@h2//") == "amqp://user:***@h//;amqp://u2:***@h2//")
        #expect(ServiceURL.redact("redis://h/0") == "redis://h/0")
        #expect(ServiceURL.redact("redis://user@h/0") == "redis://user@h/0")
        #expect(ServiceURL.redact("not a url") == "not a url")
    }

    @Test func schemeRoles() {
        #expect(ServiceURL.Scheme.brokerSchemes.contains(.amqp))
        #expect(!ServiceURL.Scheme.brokerSchemes.contains(.rpc))
        #expect(ServiceURL.Scheme.backendSchemes.contains(.djangoDB))
        #expect(!ServiceURL.Scheme.backendSchemes.contains(.amqp))
    }
}
