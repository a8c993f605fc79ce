import Logging
import NIOCore

extension RESPConnection {
    /// Negotiates the protocol, authenticates, names the client and selects the database.
    ///
    /// With RESP3 asked, one `HELLO 3 [AUTH user password] [SETNAME name]` does the first three; a server that
    /// doesn't know `HELLO` or RESP3 (`ERR unknown command`, `NOPROTO`) gets the RESP2 sequence instead. The
    /// RESP2 sequence (`AUTH`, `CLIENT SETNAME`, `SELECT`) is pipelined, and a `PING` stands in when there is
    /// nothing to send, so a broken TLS session or a silent server shows at connect time.
    func handshake(deadline: NIODeadline) async throws {
        let configuration = self.configuration
        var helloDone = false
        if configuration.protocolVersion == .resp3 {
            var hello = RESPCommand("HELLO", 3)
            if let password = configuration.password {
                hello.arguments += ["AUTH", .string(configuration.username ?? "default"), .string(password)]
            }
            if let name = configuration.clientName {
                hello.arguments += ["SETNAME", .string(name)]
            }
            do {
                _ = try await self.send(hello, deadline: deadline)
                self.setProtocolVersion(.resp3)
                helloDone = true
            } catch let error as RESPError where Self.isUnsupportedHello(error) {
                self.logger.debug("the server refused HELLO 3; falling back to RESP2")
            }
        }
        var commands: [RESPCommand] = []
        if !helloDone {
            if let password = configuration.password {
                if let username = configuration.username {
                    commands.append(RESPCommand("AUTH", .string(username), .string(password)))
                } else {
                    commands.append(RESPCommand("AUTH", .string(password)))
                }
            }
            if let name = configuration.clientName {
                commands.append(RESPCommand("CLIENT", "SETNAME", .string(name)))
            }
        }
        if configuration.database != 0 {
            commands.append(RESPCommand("SELECT", .integer(configuration.database)))
        }
        if commands.isEmpty && !helloDone {
            commands.append(RESPCommand("PING"))
        }
        guard !commands.isEmpty else { return }
        let replies = try await self.pipeline(commands, deadline: deadline)
        for reply in replies {
            if case .error(let message) = reply { throw RESPError.server(message) }
        }
    }

    private static func isUnsupportedHello(_ error: RESPError) -> Bool {
        guard error.code == .serverError, let message = error.message else { return false }
        return error.serverErrorPrefix == "NOPROTO" || message.lowercased().contains("unknown command")
    }
}
