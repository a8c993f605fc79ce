import Logging
import Synchronization

extension Worker {
    /// How long the autoscaler keeps grown slots after the load fell (Celery's `AUTOSCALE_KEEPALIVE`, 30 s).
    static let autoscaleKeepalive: Duration = .seconds(30)

    /// Runs the tasks of the ready queue, at most the pool's size at once (the size `pool_grow`, `pool_shrink`
    /// and `autoscale` change while the worker runs), until the queue closes; then waits for those running.
    /// Cancellation (cold shutdown) reaches every running task; a message taken but not started goes back.
    func runPool() async {
        ready.setLimit(control.pool.withLock { $0.size })
        await withTaskGroup(of: Void.self) { background in
            background.addTask { await self.autoscaleLoop() }
            await withDiscardingTaskGroup { runs in
                while let item = await ready.next() {
                    // A cold shutdown may land between taking a message and starting it: give it back.
                    if Task.isCancelled {
                        await giveBack([item.delivery])
                        ready.done()
                        break
                    }
                    runs.addTask {
                        if Task.isCancelled {
                            await self.giveBack([item.delivery])
                        } else {
                            await self.execute(item)
                        }
                        self.ready.done()
                    }
                }
            }
            background.cancelAll()
        }
    }

    // MARK: Remote control

    /// `pool_grow`: `n` more tasks at once (default 1), and a prefetch window to match, as Celery's
    /// `control.pool_grow` does; refused while autoscaling, as in Celery.
    func growPool(_ arguments: JSONObject) -> JSONValue {
        guard let n = Self.count(arguments["n"]) else { return .object(["error": "pool_grow needs a whole number n >= 0"]) }
        let size = control.pool.withLock { pool -> Int? in
            guard pool.autoscale == nil else { return nil }
            pool.size += n
            return pool.size
        }
        guard let size else { return .object(["error": "pool_grow is not supported with autoscale. Adjust autoscale range instead."]) }
        resizePool(size: size, window: size)
        logger.info("remote control: pool grown", metadata: ["concurrency": "\(size)"])
        return .object(["ok": "pool will grow"])
    }

    /// `pool_shrink`: `n` fewer tasks at once (default 1, never below one); running tasks finish, no new one
    /// starts until the pool has room. Refused while autoscaling, as in Celery.
    func shrinkPool(_ arguments: JSONObject) -> JSONValue {
        guard let n = Self.count(arguments["n"]) else { return .object(["error": "pool_shrink needs a whole number n >= 0"]) }
        enum Outcome { case autoscaling, atMinimum, shrunk(Int) }
        let outcome = control.pool.withLock { pool -> Outcome in
            guard pool.autoscale == nil else { return .autoscaling }
            guard pool.size > 1 || n == 0 else { return .atMinimum }
            pool.size = max(1, pool.size - n)
            return .shrunk(pool.size)
        }
        switch outcome {
        case .autoscaling: return .object(["error": "pool_shrink is not supported with autoscale. Adjust autoscale range instead."])
        case .atMinimum: return .object(["error": "Can't shrink pool: it runs one task at a time"])
        case .shrunk(let size):
            resizePool(size: size, window: size)
            logger.info("remote control: pool shrunk", metadata: ["concurrency": "\(size)"])
            return .object(["ok": "pool will shrink"])
        }
    }

    /// `autoscale [max [min]]`: the pool follows the load between `min` and `max` (Celery's `Autoscaler.update`:
    /// a size above `max` shrinks to it, one below `min` grows to it, the prefetch window follows `max`).
    /// Unlike Celery, a worker started without `--autoscale` accepts it and starts autoscaling from its size.
    func setAutoscale(_ arguments: JSONObject) -> JSONValue {
        let newMax = arguments["max"].flatMap { $0 == .null ? nil : $0 }
        let newMin = arguments["min"].flatMap { $0 == .null ? nil : $0 }
        let maximum = newMax.map { Self.count($0) } ?? .some(nil)
        let minimum = newMin.map { Self.count($0) } ?? .some(nil)
        guard let maximum, let minimum else { return .object(["error": "autoscale needs whole numbers max >= 0 and min >= 0"]) }
        let result = control.pool.withLock { pool -> (max: Int, min: Int, size: Int)? in
            let current = pool.autoscale ?? (max: pool.size, min: 0)
            let range = (max: maximum ?? current.max, min: minimum ?? current.min)
            guard range.max >= range.min, range.max >= 1 else { return nil }
            pool.autoscale = range
            pool.size = Swift.min(Swift.max(pool.size, range.min, 1), range.max)
            return (range.max, range.min, pool.size)
        }
        guard let result else { return .object(["error": "autoscale needs max >= min and max >= 1"]) }
        resizePool(size: result.size, window: result.max)
        logger.info("remote control: autoscale", metadata: ["max": "\(result.max)", "min": "\(result.min)", "concurrency": "\(result.size)"])
        return .object(["ok": .string("autoscale now max=\(result.max) min=\(result.min)")])
    }

    /// The pool's part of `stats`: `max-concurrency` now; prefork's `writes` statistics for one in-process queue
    /// (every task goes through it: `started` in all, slots = the pool's size, active = the tasks running now);
    /// Celery's `autoscaler` entry when autoscaling.
    func poolStats(started: Int) -> (size: Int, writes: JSONObject, autoscaler: JSONObject?) {
        let pool = control.pool.withLock { $0 }
        let writes: JSONObject = [
            "total": .int(started), "avg": .string(started == 0 ? "0" : "1.00"), "all": .string(started == 0 ? "" : "1.00"),
            "raw": .string("\(started)"), "strategy": "fair",
            "inqueues": .object(["total": .int(pool.size), "active": .int(ready.busy)]),
        ]
        guard let range = pool.autoscale else { return (pool.size, writes, nil) }
        let autoscaler: JSONObject = ["max": .int(range.max), "min": .int(range.min), "current": .int(pool.size), "qty": .int(ready.busy + ready.count)]
        return (pool.size, writes, autoscaler)
    }

    // MARK: Autoscaling

    /// Celery's autoscaler thread: once a second, grows the pool to the tasks running and waiting (up to
    /// `max`), or shrinks it towards them (down to `min`) after a keepalive without growth.
    private func autoscaleLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
            autoscaleTick(now: .now, keepalive: Self.autoscaleKeepalive)
        }
    }

    /// One autoscaler step (`Autoscaler._maybe_scale`); returns the new size when it changed.
    @discardableResult
    func autoscaleTick(now: ContinuousClock.Instant, keepalive: Duration) -> Int? {
        let demand = ready.busy + ready.count
        let changed = control.pool.withLock { pool -> Int? in
            guard let range = pool.autoscale else { return nil }
            pool.demand = demand
            let wanted = Swift.min(demand, range.max)
            if wanted > pool.size {
                pool.size = wanted
                pool.lastScaleUp = now
                return wanted
            }
            let floor = Swift.max(1, range.min)
            guard wanted < pool.size, pool.size > floor else { return nil }
            if let last = pool.lastScaleUp, now - last < keepalive { return nil }
            pool.size = Swift.max(floor, wanted)
            return pool.size
        }
        if let changed {
            ready.setLimit(changed)
            logger.info("autoscale: pool resized", metadata: ["concurrency": "\(changed)", "demand": "\(demand)"])
        }
        return changed
    }

    /// Applies a pool size: the tasks run at once, and the prefetch window of a pool of `window` slots
    /// (Celery's `_update_prefetch_count`: slots × `worker_prefetch_multiplier`).
    private func resizePool(size: Int, window slots: Int) {
        ready.setLimit(size)
        var sized = configuration
        sized.concurrency = Swift.max(1, slots)
        window.setLimit(sized.window)
    }

    /// A non-negative count argument (`n`, `max`, `min`): an integer or a string of digits; 1 when absent.
    static func count(_ value: JSONValue?) -> Int? {
        switch value {
        case nil, .null?: 1
        case .int(let n)?: n >= 0 ? n : nil
        case .double(let n)?: n >= 0 && n == n.rounded() && n < 1e9 ? Int(n) : nil
        case .string(let text)?: Int(text).flatMap { $0 >= 0 ? $0 : nil }
        default: nil
        }
    }

    /// Python's truthiness of a JSON argument: Flower sends `terminate=1`, the CLI `true`.
    static func truthy(_ value: JSONValue?) -> Bool {
        switch value {
        case .bool(let flag)?: flag
        case .int(let n)?: n != 0
        case .double(let n)?: n != 0
        case .string(let text)?: !text.isEmpty
        case .array(let items)?: !items.isEmpty
        case .object(let fields)?: !fields.isEmpty
        default: false
        }
    }
}
