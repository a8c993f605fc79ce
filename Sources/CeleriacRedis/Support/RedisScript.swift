import CeleriacRESP
import NIOCore
import Synchronization

/// A Lua script run with `EVALSHA`, loaded with `SCRIPT LOAD` on first use and again after the server lost
/// its script cache (a restart or `SCRIPT FLUSH`).
final class RedisScript: Sendable {
    /// The Lua source.
    let source: String
    private let sha = Mutex<String?>(nil)

    init(_ source: String) { self.source = source }

    /// Runs the script.
    /// - Throws: ``RESPError`` for connection failures and error replies.
    func run(on client: RESPClient, keys: [String], arguments: [RESPCommand.Argument]) async throws -> RESPValue {
        for attempt in 0..<2 {
            let digest = try await loadedSHA(client, reload: attempt > 0)
            do {
                return try await client.send(command(sha: digest, keys: keys, arguments: arguments))
            } catch let error as RESPError where error.serverErrorPrefix == "NOSCRIPT" && attempt == 0 {
                continue
            }
        }
        throw RESPError(.unexpectedReply, message: "the script could not be loaded")
    }

    /// The `EVALSHA` command for an already loaded script (for pipelines).
    func command(sha: String, keys: [String], arguments: [RESPCommand.Argument]) -> RESPCommand {
        RESPCommand("EVALSHA", arguments: [.string(sha), .integer(keys.count)] + keys.map { .string($0) } + arguments)
    }

    /// The script's SHA-1, loading it when not yet known (or when `reload`).
    func loadedSHA(_ client: RESPClient, reload: Bool = false) async throws -> String {
        if !reload, let known = sha.withLock({ $0 }) { return known }
        let reply = try await client.send(RESPCommand("SCRIPT", "LOAD", .string(source)))
        guard let digest = reply.string else { throw RESPError(.unexpectedReply, message: "SCRIPT LOAD gave no SHA") }
        sha.withLock { $0 = digest }
        return digest
    }

    /// Forgets the cached SHA-1 so the next run loads the script again.
    func forget() { sha.withLock { $0 = nil } }
}
