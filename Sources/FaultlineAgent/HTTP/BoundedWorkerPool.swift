import Foundation

/// A fixed set of threads running request handlers, with a bounded wait list.
///
/// Handlers block (kernel calls, the service lock, selector resolution up to its
/// deadline), so they run here rather than on the event loop. The pool never grows:
/// when every thread is busy and `queueLimit` jobs wait, `submit` answers `false` at once
/// and the caller answers 503, instead of queueing without end or starting a thread per
/// request as `DispatchQueue.global()` would. Thread-safe.
final class BoundedWorkerPool: @unchecked Sendable {
    let name: String
    let threads: Int
    let queueLimit: Int
    private let condition = NSCondition()
    private var waiting: [@Sendable () -> Void] = []
    private var busy = 0
    private var stopping = false

    init(name: String, threads: Int, queueLimit: Int) {
        precondition(threads > 0 && queueLimit >= 0)
        self.name = name; self.threads = threads; self.queueLimit = queueLimit
        for index in 0..<threads {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Queues `job`; `false` (and `job` dropped) when the wait list is full.
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        // Counted together, so the answer does not depend on how fast a thread wakes up.
        guard !stopping, busy + waiting.count < threads + queueLimit else { return false }
        waiting.append(job)
        condition.signal()
        return true
    }

    /// Requests in progress and waiting, for the 503's reason.
    var load: (busy: Int, waiting: Int) { condition.withLock { (busy, waiting.count) } }

    /// Lets the threads finish their current job and exit; queued jobs are dropped.
    func stop() {
        condition.withLock { stopping = true; waiting = []; condition.broadcast() }
    }

    private func work() {
        while true {
            condition.lock()
            while waiting.isEmpty && !stopping { condition.wait() }
            if stopping { condition.unlock(); return }
            let job = waiting.removeFirst()
            busy += 1
            condition.unlock()
            job()
            condition.withLock { busy -= 1 }
        }
    }
}
