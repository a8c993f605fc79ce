import ArgumentParser
import Celeriac
import CeleriacCommands

/// `canvas`: sends one of Celery's canvas examples built with Celeriac's canvas API and prints the result id,
/// then (unless `--no-wait`) the result as JSON or `FAILURE <exc_type> <message>`. Used by the interop tests
/// to run Swift-built workflows on Python workers.
struct CanvasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canvas",
        abstract: "Send a canvas example (chain, group, chord, chord-fail, chord-in-chain, group-of-chains, map) and print its result.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "chain | group | chord | chord-fail | chord-in-chain | group-of-chains | chord-sleep | map | restore-group <id>")
    var kind: String

    @Argument(help: "The group id for restore-group.")
    var groupID: String?

    @Option(help: "The queue to send to.")
    var queue: String?

    @Option(help: "Seconds to wait for the result.")
    var timeout: Double = 20

    @Flag(help: "Print the id only.")
    var noWait = false

    func run() async throws {
        let kind = self.kind
        let groupID = self.groupID
        let timeout = Duration.milliseconds(Int64(timeout * 1000))
        let noWait = self.noWait
        var options = CallOptions()
        options.queue = queue
        let config = try connection.configuration { config in if let queue { config.taskDefaultQueue = queue } }
        let connections = try await CeleriacConnections.open(config, logger: CommandLogging.logger(label: "celeriac.canvas", level: .error))
        let app = CeleriacApp(configuration: config, broker: connections.broker, backend: connections.backend, registry: ExampleTasks.registry())
        let add = ExampleTasks.add
        // Chord bodies use tasks.xsum, one of the example's eight tasks.
        let xsum = ExampleTasks.xsum
        func report(_ id: String, _ value: () async throws -> JSONValue) async {
            print(id)
            guard !noWait else { return }
            do {
                print(try await value().serialized(.python))
            } catch let failure as TaskFailedError {
                print("FAILURE \(failure.error.excType) \(failure.error.excMessage.first?.stringValue ?? "")")
            } catch {
                print("ERROR \(error)")
            }
        }
        switch kind {
        case "chain":
            let result = try await app.apply(add.s(1, 2) | add.s(3) | add.s(4), options: options)
            await report(result.id) { try await result.get(timeout: timeout) }
        case "group":
            let result = try await app.apply(Group((0..<5).map { add.s(.int($0), .int($0)) }), options: options)
            try await result.save()
            await report(result.id) { .array(try await result.get(timeout: timeout)) }
        case "chord":
            let result = try await app.apply(Chord(header: Group((1...5).map { add.s(.int($0), .int($0)) }), body: xsum.s()), options: options)
            await report(result.id) { try await result.get(timeout: timeout) }
        case "chord-fail":
            let header = [add.s(1, 1).signature, ExampleTasks.fail.s("boom").withID("chord-fail-member").signature]
            let result = try await app.apply(Chord(header: header, body: xsum.s()), options: options)
            await report(result.id) { try await result.get(timeout: timeout) }
        case "chord-in-chain":
            let chord = Chord(header: Group(add.s(1), add.s(2)), body: xsum.s())
            let result = try await app.apply(add.s(1, 1) | chord | add.s(10), options: options)
            await report(result.id) { try await result.get(timeout: timeout) }
        case "group-of-chains":
            let result = try await app.apply(Group(add.s(1, 1) | add.s(2), add.s(3, 3) | add.s(4)), options: options)
            await report(result.id) { .array(try await result.get(timeout: timeout)) }
        case "chord-sleep":
            let header = Group((0..<16).map { _ in ExampleTasks.sleep.s(0.25) })
            let result = try await app.apply(Chord(header: header, body: xsum.s()), options: options)
            await report(result.id) { try await result.get(timeout: timeout) }
        case "map":
            let result = try await app.apply(ExampleTasks.xsum.map([[1, 2], [3, 4, 5]]), options: options)
            await report(result.id) { .array(try await result.get(timeout: timeout)) }
        case "restore-group":
            guard let groupID, let group = try await GroupResult<JSONValue>.restore(id: groupID, app: app) else {
                throw ValidationError("no saved group \(self.groupID ?? "(none given)")")
            }
            await report(group.id) { .array(try await group.get(timeout: timeout)) }
        default:
            throw ValidationError("unknown canvas \(kind)")
        }
        await connections.close()
    }
}
