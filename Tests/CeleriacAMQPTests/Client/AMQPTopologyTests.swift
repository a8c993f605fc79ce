import Testing

@testable import CeleriacAMQP

@Suite("AMQP topology registry")
struct AMQPTopologyTests {
    @Test func recordsInOrderAndForgets() {
        var topology = AMQPTopology()
        topology.record(.exchange(name: "x", type: "direct", durable: false, autoDelete: false, isInternal: false, arguments: [:]))
        topology.record(.queue(name: "q", serverNamed: false, durable: true, exclusive: false, autoDelete: false, arguments: [:]))
        topology.record(.queueBinding(queue: "q", exchange: "x", routingKey: "a", arguments: [:]))
        topology.record(.queueBinding(queue: "q", exchange: "x", routingKey: "a", arguments: [:]))  // no duplicate
        topology.record(.exchangeBinding(destination: "y", source: "x", routingKey: "#", arguments: [:]))
        #expect(topology.entries.count == 4)
        // Declaring again with other settings replaces the entry.
        topology.record(.queue(name: "q", serverNamed: false, durable: false, exclusive: false, autoDelete: true, arguments: [:]))
        #expect(topology.entries.last == .queue(name: "q", serverNamed: false, durable: false, exclusive: false, autoDelete: true, arguments: [:]))
        topology.forgetQueue("q")
        #expect(topology.entries.count == 2)
        topology.forgetExchange("x")
        #expect(topology.entries.isEmpty)
    }

    @Test func serverNamedQueuesAreRenamedWithTheirBindings() {
        var topology = AMQPTopology()
        topology.record(.queue(name: "amq.gen-1", serverNamed: true, durable: false, exclusive: true, autoDelete: true, arguments: [:]))
        topology.record(.queueBinding(queue: "amq.gen-1", exchange: "x", routingKey: "#", arguments: [:]))
        topology.rename(queue: "amq.gen-1", to: "amq.gen-2")
        #expect(topology.entries == [
            .queue(name: "amq.gen-2", serverNamed: true, durable: false, exclusive: true, autoDelete: true, arguments: [:]),
            .queueBinding(queue: "amq.gen-2", exchange: "x", routingKey: "#", arguments: [:]),
        ])
    }
}
