import Foundation

/// Runs blocking work (sockets with poll, waitpid) on a thread of its own, so that it
/// never holds one of the few threads of Swift's cooperative pool: on a 2-core machine a
/// hung probe would otherwise stall the guards and the lease renewals.
enum Blocking {
    static func run<T: Sendable>(_ name: String = "fl-probe", _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = name
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}

/// Monotonic seconds, for measuring probe calls.
enum Monotonic {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
