#if canImport(Glibc)
import Glibc
#endif
import Foundation
import FaultlineTestSupport

/// Runs a short tool (ip, nft) to completion by argv and answers its stdout.
@discardableResult
func tool(_ argv: [String]) throws -> String { try TestHostNamespace.run(argv) }

/// Runs blocking test scaffolding (ip, curl, waiting for processes) on a thread of its
/// own: on the two threads of the cooperative pool it would stall every other test, and
/// a semaphore wait there for a task that needs the pool can deadlock.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// Polls `condition` (blocking scaffolding, run off the pool) every 50 ms for up to
/// `seconds`; answers how long it took, or nil.
func waitUntil(_ seconds: Double, _ condition: @escaping @Sendable () -> Bool) async -> Double? {
    let start = Date()
    while Date().timeIntervalSince(start) < seconds {
        if (try? await offPool(condition)) == true { return Date().timeIntervalSince(start) }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return nil
}
