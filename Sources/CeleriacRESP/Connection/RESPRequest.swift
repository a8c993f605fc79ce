import NIOCore
import Synchronization

/// Where a request's replies go: the continuation of the task awaiting them.
enum RESPPromise: Sendable {
    case single(CheckedContinuation<RESPValue, any Error>)
    case multiple(CheckedContinuation<[RESPValue], any Error>)

    func succeed(_ values: [RESPValue]) {
        switch self {
        case .single(let continuation): continuation.resume(returning: values.first ?? .null)
        case .multiple(let continuation): continuation.resume(returning: values)
        }
    }

    func fail(_ error: any Error) {
        switch self {
        case .single(let continuation): continuation.resume(throwing: error)
        case .multiple(let continuation): continuation.resume(throwing: error)
        }
    }
}

/// A flag a request's awaiting task sets when it is cancelled, read by the handler when the request arrives.
///
/// The cancellation handler sets the flag before it sends the cancel event, so whichever of the request and the
/// event reaches the handler first, the request is cancelled exactly once.
final class RESPRequestToken: Sendable {
    let id: UInt64
    private let cancelled = Atomic<Bool>(false)

    init(id: UInt64) {
        self.id = id
    }

    var isCancelled: Bool { self.cancelled.load(ordering: .acquiring) }

    func cancel() { self.cancelled.store(true, ordering: .releasing) }
}

/// A request written into the channel pipeline, for ``RESPChannelHandler`` to encode and track.
///
/// The request carries a timeout, not a deadline: the handler reads the event loop's clock when it writes, so
/// deadlines follow the loop's time (virtual time on a testing event loop).
struct RESPOutboundRequest: Sendable {
    var commands: [RESPCommand]
    var kind: RESPConnectionStateMachine<RESPPromise>.RequestKind
    var timeout: TimeAmount?
    var closeOnCancel: Bool
    var promise: RESPPromise
    var token: RESPRequestToken
}

/// An outbound user event asking ``RESPChannelHandler`` to cancel the request with this id.
struct RESPCancelEvent: Sendable {
    var id: UInt64
}
