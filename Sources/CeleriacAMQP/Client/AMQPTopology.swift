/// The exchanges, queues and bindings a ``AMQPReconnectingConnection`` declared, in declaration order, so that they
/// can be declared again on a new connection after the broker restarted or the connection broke.
///
/// Deleting an exchange or queue forgets it and its bindings. A server-named queue (declared with an empty name)
/// gets a new name on recovery; bindings and consumers follow the rename.
struct AMQPTopology: Sendable {
    enum Entry: Hashable, Sendable {
        case exchange(name: String, type: String, durable: Bool, autoDelete: Bool, isInternal: Bool, arguments: AMQPTable)
        case queue(name: String, serverNamed: Bool, durable: Bool, exclusive: Bool, autoDelete: Bool, arguments: AMQPTable)
        case queueBinding(queue: String, exchange: String, routingKey: String, arguments: AMQPTable)
        case exchangeBinding(destination: String, source: String, routingKey: String, arguments: AMQPTable)
    }

    private(set) var entries: [Entry] = []

    mutating func record(_ entry: Entry) {
        switch entry {
        case .exchange(let name, _, _, _, _, _):
            self.entries.removeAll { if case .exchange(name, _, _, _, _, _) = $0 { true } else { false } }
        case .queue(let name, _, _, _, _, _):
            self.entries.removeAll { if case .queue(name, _, _, _, _, _) = $0 { true } else { false } }
        case .queueBinding, .exchangeBinding:
            self.entries.removeAll { $0 == entry }
        }
        self.entries.append(entry)
    }

    mutating func forget(_ entry: Entry) {
        self.entries.removeAll { $0 == entry }
    }

    mutating func forgetExchange(_ name: String) {
        self.entries.removeAll { entry in
            switch entry {
            case .exchange(let exchange, _, _, _, _, _): exchange == name
            case .queueBinding(_, let exchange, _, _): exchange == name
            case .exchangeBinding(let destination, let source, _, _): destination == name || source == name
            case .queue: false
            }
        }
    }

    mutating func forgetQueue(_ name: String) {
        self.entries.removeAll { entry in
            switch entry {
            case .queue(let queue, _, _, _, _, _): queue == name
            case .queueBinding(let queue, _, _, _): queue == name
            default: false
            }
        }
    }

    /// Renames a server-named queue after it was declared again.
    mutating func rename(queue old: String, to new: String) {
        self.entries = self.entries.map { entry in
            switch entry {
            case .queue(old, let serverNamed, let durable, let exclusive, let autoDelete, let arguments):
                .queue(name: new, serverNamed: serverNamed, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments)
            case .queueBinding(old, let exchange, let routingKey, let arguments):
                .queueBinding(queue: new, exchange: exchange, routingKey: routingKey, arguments: arguments)
            default:
                entry
            }
        }
    }

    /// Declares everything again on `channel`; returns the renames of server-named queues.
    func replay(on channel: AMQPChannel) async throws -> [String: String] {
        var renames: [String: String] = [:]
        for entry in self.entries {
            switch entry {
            case .exchange(let name, let type, let durable, let autoDelete, let isInternal, let arguments):
                try await channel.declareExchange(name, type: type, durable: durable, autoDelete: autoDelete, internal: isInternal, arguments: arguments)
            case .queue(let name, let serverNamed, let durable, let exclusive, let autoDelete, let arguments):
                let info = try await channel.declareQueue(
                    serverNamed ? "" : name, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments
                )
                if info.name != name { renames[name] = info.name }
            case .queueBinding(let queue, let exchange, let routingKey, let arguments):
                try await channel.bindQueue(renames[queue] ?? queue, to: exchange, routingKey: routingKey, arguments: arguments)
            case .exchangeBinding(let destination, let source, let routingKey, let arguments):
                try await channel.bindExchange(destination, to: source, routingKey: routingKey, arguments: arguments)
            }
        }
        return renames
    }
}
