import Celeriac
import Synchronization

/// Fans the cluster state's changes out to every open live connection (the page's server-sent events).
///
/// A slow subscriber never blocks the state: each keeps at most the newest 1 000 changes.
public final class LiveFeed: Sendable {
    /// One change: its kind (`task`, `worker`) and the record as JSON.
    public struct Change: Sendable, Hashable {
        /// `task` or `worker`.
        public var kind: String
        /// The record.
        public var payload: JSONValue
    }

    private let subscribers = Mutex<(next: Int, continuations: [Int: AsyncStream<Change>.Continuation])>((0, [:]))

    /// Creates a feed with no subscribers.
    public init() {}

    /// How many subscribers are connected.
    public var subscriberCount: Int { subscribers.withLock { $0.continuations.count } }

    /// The kind of the keep-alive changes ``subscribe(lifetime:keepAlive:)`` mixes in.
    public static let keepAliveKind = "keep-alive"

    /// The changes from now on, until the stream is dropped or `lifetime` passes, with a
    /// ``keepAliveKind`` change every `keepAlive` (so a connection whose client left is noticed).
    public func subscribe(lifetime: Duration? = nil, keepAlive: Duration = .seconds(15)) -> AsyncStream<Change> {
        let (stream, continuation) = AsyncStream<Change>.makeStream(bufferingPolicy: .bufferingNewest(1_000))
        let id = subscribers.withLock { state -> Int in
            state.next += 1
            state.continuations[state.next] = continuation
            return state.next
        }
        let timer = Task {
            let clock = ContinuousClock()
            let deadline = lifetime.map { clock.now + $0 }
            while !Task.isCancelled {
                var pause = keepAlive
                if let deadline {
                    let remaining = deadline - clock.now
                    if remaining <= .zero { break }
                    pause = min(pause, remaining)
                }
                do { try await Task.sleep(for: pause) } catch { return }
                if deadline.map({ clock.now < $0 }) ?? true { continuation.yield(Change(kind: Self.keepAliveKind, payload: .null)) }
            }
            continuation.finish()
        }
        continuation.onTermination = { [weak self] _ in
            timer.cancel()
            _ = self?.subscribers.withLock { $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    /// Sends a change to every subscriber.
    public func publish(kind: String, _ payload: JSONValue) {
        let continuations = subscribers.withLock { Array($0.continuations.values) }
        for continuation in continuations { continuation.yield(Change(kind: kind, payload: payload)) }
    }
}
