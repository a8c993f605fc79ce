import Celeriac
import ArgumentParser
import Logging
import Testing

@testable import CeleriacCommands

@Suite("Command parsing")
struct CommandParsingTests {
    @Test func workerTakesCeleryOptions() throws {
        let command = try WorkerCommand.parse(["-l", "INFO", "-c", "8", "-Q", "celery,emails", "-n", "w1@%h", "--prefetch-multiplier", "2", "-b", "sqlite:///x.db"])
        #expect(command.loglevel == .info)
        #expect(command.concurrency == 8)
        #expect(command.queues == "celery,emails")
        #expect(command.hostname == "w1@%h")
        #expect(command.prefetchMultiplier == 2)
        #expect(command.connection.broker == "sqlite:///x.db")
    }

    @Test func workerRejectsUnknownLogLevel() {
        #expect(throws: (any Error).self) { try WorkerCommand.parse(["-l", "loud"]) }
    }

    @Test func callTakesArgsAndOptions() throws {
        let command = try CallCommand.parse(["tasks.add", "-a", "[2, 3]", "-k", "{\"z\": 1}", "--countdown", "5", "--queue", "math", "--priority", "3", "--result-backend", "sqlite:///r.db"])
        #expect(command.name == "tasks.add")
        #expect(command.args == "[2, 3]")
        #expect(command.kwargs == "{\"z\": 1}")
        #expect(command.countdown == 5)
        #expect(command.queue == "math")
        #expect(command.priority == 3)
        #expect(command.connection.resultBackend == "sqlite:///r.db")
    }

    @Test func deadLetterSubcommandsParse() throws {
        let requeue = try DeadLettersCommand.Requeue.parse(["abc", "def", "--queue", "retry"])
        #expect(requeue.ids == ["abc", "def"])
        #expect(requeue.queue == "retry")
        let all = try DeadLettersCommand.Requeue.parse(["--all"])
        #expect(all.all)
    }

    @Test func nodeNamesExpandLikeCelery() {
        let expanded = NodeName.expand("w1@%h")
        #expect(expanded.hasPrefix("w1@"))
        #expect(!expanded.contains("%h"))
        #expect(NodeName.expand("w2").hasPrefix("w2@"))
    }

    @Test func logLevelsMapToSwiftLog() {
        #expect(LogLevelOption(argument: "WARN") == .warning)
        #expect(LogLevelOption(argument: "critical")?.level == .critical)
        #expect(LogLevelOption(argument: "nope") == nil)
    }

    @Test func helpListsEveryBuiltInCommand() {
        let help = RootCommand.helpMessage()
        for name in ["worker", "call", "result", "revoke", "purge", "status", "dead-letters"] {
            #expect(help.contains(name), "help lacks \(name)")
        }
    }
}

@Suite("Celery's ssl options for Redis")
struct CelerySSLOptionTests {
    @Test func pythonConstantsAndBooleansBecomeText() {
        let options = CeleriacConnections.celerySSLOptions([
            "ssl_cert_reqs": .int(0), "ssl_check_hostname": .bool(false), "ssl_ca_certs": .string("/ca.pem"),
        ])
        #expect(options == ["ssl_cert_reqs": "none", "ssl_check_hostname": "false", "ssl_ca_certs": "/ca.pem"])
        #expect(CeleriacConnections.celerySSLOptions(["ssl_cert_reqs": .int(2)]) == ["ssl_cert_reqs": "required"])
        #expect(CeleriacConnections.celerySSLOptions(["ssl_cert_reqs": .int(1)]) == ["ssl_cert_reqs": "optional"])
    }
}
