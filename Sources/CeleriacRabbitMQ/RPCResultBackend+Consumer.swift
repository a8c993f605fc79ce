import Celeriac
import CeleriacAMQP
import Logging
import NIOCore

extension RPCResultBackend {
    /// Makes sure the reply queue of `taskID` (known when this process's broker published the task) is consumed;
    /// a newly started consumer first takes in the messages already waiting (up to a second), so a result that
    /// arrived before anyone asked is seen at once.
    func startConsuming(for taskID: String) async throws {
        guard let queue = await broker.sentReplyQueue(for: taskID) else { return }
        if let existing = consumers[queue], !existing.failed { return }
        if let stale = consumers.removeValue(forKey: queue) {
            stale.task.cancel()
            await stale.channel.close()
        }
        let opened: (channel: AMQPChannel, consumer: AMQPConsumer, waiting: UInt32)
        do {
            opened = try await broker.consumeReplies(from: queue)
        } catch {
            throw CeleriacError(.backendFailure, "rpc:// result backend: cannot consume the reply queue \(queue): \(error)", underlying: error)
        }
        if closed || consumers[queue] != nil {
            // Closed meanwhile, or a concurrent call started one first.
            await opened.channel.close()
            return
        }
        let consumer = opened.consumer
        let task = Task { [weak self] in
            do {
                for try await delivery in consumer {
                    await self?.received(delivery, queue: queue)
                }
                await self?.consumerEnded(queue: queue, error: nil)
            } catch {
                await self?.consumerEnded(queue: queue, error: error)
            }
        }
        consumers[queue] = ReplyConsumer(channel: opened.channel, task: task, backlog: Int(opened.waiting))
        let deadline = ContinuousClock.now + .seconds(1)
        while let backlog = consumers[queue]?.backlog, backlog > 0, !closed, ContinuousClock.now < deadline {
            await wait(for: nil, until: deadline)
        }
    }

    /// Takes in one result message: the task id from `correlation_id` (else the body's `task_id`, as
    /// `RPCBackend._get_message_task_id` does), the latest state kept. A ready state is never replaced by a later
    /// non-ready one. A body that is not result meta is logged and dropped.
    func received(_ delivery: AMQPDelivery, queue: String) {
        if var consumer = consumers[queue], consumer.backlog > 0 {
            consumer.backlog -= 1
            consumers[queue] = consumer
        }
        defer { wake(taskID: nil) }
        let meta: ResultMeta
        do {
            guard case .object(let object) = try JSONValue.parse(Array(buffer: delivery.body)) else {
                throw CeleriacError(.malformedResult, "the body is not a JSON object")
            }
            meta = try ResultMeta(json: object)
        } catch {
            logger.warning("dropping a reply that is not Celery result meta", metadata: ["queue": "\(queue)", "error": "\(error)"])
            return
        }
        let taskID = delivery.properties.correlationID.flatMap { $0.isEmpty ? nil : $0 } ?? meta.taskID
        if let current = cache[taskID], current.status.isReady, !meta.status.isReady { return }
        cache[taskID] = meta
        wake(taskID: taskID)
    }

    /// Marks a consumer as ended (its channel or connection was lost); the next read starts it again.
    func consumerEnded(queue: String, error: (any Error)?) {
        guard !closed, var consumer = consumers[queue] else { return }
        logger.warning("rpc:// reply consumer ended; it restarts on the next read", metadata: ["queue": "\(queue)", "error": "\(error.map { "\($0)" } ?? "cancelled")"])
        consumer.failed = true
        consumer.backlog = 0
        consumers[queue] = consumer
        wakeAll()
    }

    /// Suspends until a state for `taskID` (any message, for `nil`) arrives, a consumer ends, the backend
    /// closes, `deadline` passes or the task is cancelled.
    func wait(for taskID: String?, until deadline: ContinuousClock.Instant) async {
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if Task.isCancelled || closed {
                    continuation.resume()
                } else {
                    waiters[id] = (taskID, continuation)
                }
            }
        } onCancel: {
            Task { [weak self] in await self?.resume(id) }
        }
        timer.cancel()
    }

    func resume(_ id: Int) {
        waiters.removeValue(forKey: id)?.continuation.resume()
    }

    /// Wakes the waiters for `taskID`, and those waiting for any message.
    func wake(taskID: String?) {
        for (id, waiter) in waiters where waiter.taskID == nil || waiter.taskID == taskID {
            waiters.removeValue(forKey: id)?.continuation.resume()
        }
    }

    func wakeAll() {
        let all = waiters
        waiters = [:]
        for waiter in all.values { waiter.continuation.resume() }
    }
}
