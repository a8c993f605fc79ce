import Celeriac
import Logging

/// Opens an app for a one-shot command and closes it afterwards.
enum ClientCommand {
    static func withApp<T>(_ connection: ConnectionOptions, _ body: (CeleriacApp) async throws -> T) async throws -> T {
        let logger = CommandLogging.logger(label: "celeriac", level: .warning)
        let config = try connection.configuration()
        let connections = try await CeleriacConnections.open(config, logger: logger)
        let app = CeleriacApp(configuration: config, broker: connections.broker, backend: connections.backend, registry: CommandContext.registry, logger: logger)
        do {
            let value = try await body(app)
            await connections.close()
            return value
        } catch {
            await connections.close()
            throw error
        }
    }

    /// Parses a JSON argument option, naming the option in the error.
    static func parseJSON(_ text: String, option: String) throws -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            throw CeleriacError(.badArguments, "\(option) is not valid JSON: \(error)")
        }
    }
}
