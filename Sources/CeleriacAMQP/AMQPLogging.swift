/// The logging metadata keys this module sets.
enum AMQPLogging {
    /// The broker's `host:port`.
    static let server = "amqp.server"
    /// The virtual host.
    static let vhost = "amqp.vhost"
    /// An AMQP channel number.
    static let channel = "amqp.channel"
    /// An error's description.
    static let error = "amqp.error"
    /// The wait before the next connection attempt.
    static let retryDelay = "amqp.retry.delay"
}
