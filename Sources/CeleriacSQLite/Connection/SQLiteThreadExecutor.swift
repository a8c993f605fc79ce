import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A serial executor that runs its jobs on one dedicated thread, so blocking sqlite3 calls never occupy
/// the Swift cooperative thread pool.
///
/// The thread waits on a semaphore between batches of jobs and stops when the executor is deallocated
/// (which happens once the actor using it is gone, since a pending job keeps its actor alive).
final class SQLiteThreadExecutor: SerialExecutor {
    /// Jobs waiting to run, shared with the thread.
    private let queue: JobQueue

    /// Starts the executor's thread.
    /// - Parameter name: the thread's name, shown in debuggers and `top -H`.
    init(name: String) {
        let queue = JobQueue()
        self.queue = queue
        let thread = Thread { [weak self] in
            setCurrentThreadName(name)
            while let jobs = queue.next() {
                // Hold the executor only while running jobs, so its deinit can stop the thread.
                guard let executor = self else { return }
                let unowned = executor.asUnownedSerialExecutor()
                for job in jobs { job.runSynchronously(on: unowned) }
            }
        }
        thread.start()
    }

    deinit {
        queue.stop()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        queue.push(UnownedJob(job))
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}

/// Names the calling thread (for debuggers, `top -H`, crash reports), truncated to Linux's 15 bytes.
///
/// Done from inside the thread: Foundation's `Thread.name` set before `start()`, or set by the new
/// thread before its creator recorded it, is not applied on Linux. Glibc's `pthread_setname_np` is not
/// imported into Swift, so on Linux the name is written to `/proc/thread-self/comm`.
func setCurrentThreadName(_ name: String) {
    let truncated = Array(name.utf8.prefix(15))
    #if canImport(Glibc)
    let file = open("/proc/thread-self/comm", O_WRONLY)
    guard file >= 0 else { return }
    _ = truncated.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
    close(file)
    #elseif canImport(Darwin)
    pthread_setname_np(String(decoding: truncated, as: UTF8.self))
    #endif
}

extension SQLiteThreadExecutor {
    /// A list of jobs guarded by a mutex, with a semaphore that is signalled when it goes from empty to
    /// non-empty (so the thread takes every pending job per wake-up).
    fileprivate final class JobQueue: Sendable {
        private struct State {
            var jobs: [UnownedJob] = []
            var stopped = false
        }

        private let state = Mutex(State())
        private let semaphore = DispatchSemaphore(value: 0)

        func push(_ job: UnownedJob) {
            let wake = state.withLock { state in
                state.jobs.append(job)
                return state.jobs.count == 1
            }
            if wake { semaphore.signal() }
        }

        /// Blocks until jobs are pending and takes them all; `nil` once stopped.
        func next() -> [UnownedJob]? {
            while true {
                semaphore.wait()
                let batch: [UnownedJob]? = state.withLock { state in
                    if state.stopped && state.jobs.isEmpty { return nil }
                    var batch: [UnownedJob] = []
                    swap(&batch, &state.jobs)
                    return batch
                }
                guard let batch else { return nil }
                if !batch.isEmpty { return batch }
            }
        }

        func stop() {
            state.withLock { $0.stopped = true }
            semaphore.signal()
        }
    }
}
