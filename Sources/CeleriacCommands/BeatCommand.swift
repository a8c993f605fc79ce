import ArgumentParser
import Celeriac
import Foundation
import Logging

/// The options `beat` and `worker -B` share.
struct BeatOptions: ParsableArguments {
    @Option(name: [.customShort("s"), .long], help: "An SQLite file for the beat state and lease, instead of the broker (Celery's --schedule).")
    var schedule: String?

    @Option(name: .customLong("lease-ttl"), help: "Seconds the beat lease lasts without renewal: the longest failover when the sending beat dies.")
    var leaseTTL: Double = 10

    @Option(name: .customLong("max-interval"), help: "Most seconds between two schedule checks (Celery's beat_max_loop_interval).")
    var maxInterval: Double = 5

    @Option(name: .customLong("beat-name"), help: "The lease's name: beats of different applications sharing one broker use different names.")
    var beatName: String = "default"

    func validate() throws {
        guard leaseTTL > 0, leaseTTL.isFinite else { throw ValidationError("--lease-ttl must be a positive number of seconds") }
        guard maxInterval > 0, maxInterval.isFinite else { throw ValidationError("--max-interval must be a positive number of seconds") }
    }

    /// Builds the beat for an app: the code's and the configuration's entries, the broker's store.
    func makeBeat(app: CeleriacApp, connections: CeleriacConnections, logger: Logger) async throws -> (Beat, any BeatStore) {
        let entries = try BeatSchedules.entries(for: app.configuration)
        if entries.isEmpty {
            logger.warning("beat: the schedule is empty (set beat_schedule in --config or CELERY_BEAT_SCHEDULE)")
        }
        for entry in entries { logger.info("beat: entry \(entry)") }
        let store = try await connections.openBeatStore(app.configuration, schedulePath: schedule, leaseName: beatName)
        let configuration = Beat.Configuration(
            leaseTTL: .milliseconds(Int64(leaseTTL * 1000)), maxInterval: .milliseconds(Int64(maxInterval * 1000)))
        return (Beat(app: app, entries: entries, store: store, configuration: configuration, logger: logger), store)
    }
}

/// `beat`: sends the periodic tasks of the schedule (Celery's `celery beat`). Run several for availability:
/// exactly one sends each tick.
public struct BeatCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "beat", abstract: "Send periodic tasks (beat_schedule); several beats may run, exactly one sends each tick.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var beat: BeatOptions

    @Option(name: [.customShort("l"), .long], help: "Log level: debug, info, warning, error, critical.")
    var loglevel: LogLevelOption = .warning

    @Option(name: [.customShort("A"), .customLong("app")], help: .hidden)
    var appName: String?

    /// Creates the command (argument-parser does this).
    public init() {}

    /// Runs beat until a signal stops it; it gives the lease up on a warm shutdown.
    public func run() async throws {
        let logger = CommandLogging.logger(label: "celeriac.beat", level: loglevel)
        let config = try connection.configuration()
        if !config.unrecognizedKeys.isEmpty {
            logger.warning("settings Celeriac does not use are ignored", metadata: ["settings": "\(config.unrecognizedKeys.joined(separator: ", "))"])
        }
        let connections = try await CeleriacConnections.open(config, logger: logger)
        let app = CeleriacApp(configuration: config, broker: connections.broker, backend: connections.backend, registry: CommandContext.registry, logger: logger)
        do {
            let (service, store) = try await beat.makeBeat(app: app, connections: connections, logger: logger)
            do {
                try await ServiceRunner.run([service], logger: logger)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        } catch {
            await connections.close()
            throw error
        }
        await connections.close()
    }
}
