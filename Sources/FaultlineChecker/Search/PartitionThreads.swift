#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Runs `work(0..<count)` on up to `maxThreads` OS threads that take indices in order.
///
/// Why threads rather than `concurrentPerform`: with more partitions than cores, a
/// fixed-width pool checks partitions a few at a time, so an illegal key near the end waits
/// behind every linearizable key before it. Giving each partition its own thread (as
/// Porcupine gives each a goroutine) lets the kernel interleave them on both cores, so the
/// quickest answer (usually the violation) arrives first and stops the rest. Creating a
/// thread costs tens of microseconds, more than checking a small partition: callers with
/// little work pass `maxThreads: 1`, and the calling thread does it all.
enum PartitionThreads {
    static func run(count: Int, maxThreads: Int = 16, _ work: @escaping @Sendable (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { work(0) }
            return
        }
        let shared = Shared(count: count, work: work)
        // The caller is one of the workers.
        let helperCount = min(count, maxThreads) - 1
        var threads: [pthread_t] = []
        for _ in 0..<max(helperCount, 0) {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(shared).toOpaque()
            let status = pthread_create(&thread, nil, { context in
                let shared = Unmanaged<Shared>.fromOpaque(context!).takeRetainedValue()
                shared.drain()
                return nil
            }, context)
            if status == 0 {
                threads.append(thread)
            } else {
                Unmanaged<Shared>.fromOpaque(context).release()
            }
        }
        // The caller drains too (alone when no helper was wanted or could be created).
        shared.drain()
        for thread in threads { pthread_join(thread, nil) }
    }

    private final class Shared: Sendable {
        let count: Int
        let work: @Sendable (Int) -> Void
        let next = Atomic<Int>(0)

        init(count: Int, work: @escaping @Sendable (Int) -> Void) {
            self.count = count
            self.work = work
        }

        func drain() {
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if index >= count { return }
                work(index)
            }
        }
    }
}
