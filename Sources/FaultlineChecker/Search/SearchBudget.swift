import Synchronization

/// When a search must give up: a deadline on the monotonic clock, and a shared flag that
/// lets the checker stop partitions whose result can no longer matter. The search polls it
/// cooperatively every few thousand iterations.
struct SearchBudget: Sendable {
    let deadline: ContinuousClock.Instant?
    let coordination: SearchCoordination
    /// Index of the partition this search checks; it stops when another partition has
    /// already been found illegal (the verdict is decided).
    let partitionIndex: Int

    enum Stop { case timedOut, superseded }

    /// Asks for `bytes` more memory for this search's caches; false when the check's
    /// memory limit would be exceeded (the search then gives up: verdict unknown).
    func reserve(bytes: Int) -> Bool {
        coordination.reserve(bytes: bytes)
    }

    func release(bytes: Int) {
        coordination.release(bytes: bytes)
    }

    func shouldStop() -> Stop? {
        let illegal = coordination.lowestIllegalPartition.load(ordering: .relaxed)
        if illegal != Int.max && illegal != partitionIndex {
            return .superseded
        }
        if let deadline, ContinuousClock.now >= deadline { return .timedOut }
        return nil
    }
}

/// State shared by the searches of one check.
final class SearchCoordination: Sendable {
    let lowestIllegalPartition = Atomic<Int>(Int.max)
    /// Bytes all searches of the check may add to their caches of visited configurations
    /// (what grows without bound on hard histories), and how much they hold now.
    let memoryLimit: Int
    let reservedBytes = Atomic<Int>(0)

    init(memoryLimit: Int = .max) {
        self.memoryLimit = memoryLimit
    }

    func reserve(bytes: Int) -> Bool {
        var current = reservedBytes.load(ordering: .relaxed)
        while true {
            let (sum, overflow) = current.addingReportingOverflow(bytes)
            if overflow || sum > memoryLimit { return false }
            let (exchanged, original) = reservedBytes.compareExchange(
                expected: current, desired: sum, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    func release(bytes: Int) {
        reservedBytes.subtract(bytes, ordering: .relaxed)
    }

    func reportIllegal(partition: Int) {
        var current = lowestIllegalPartition.load(ordering: .relaxed)
        while partition < current {
            let (exchanged, original) = lowestIllegalPartition.compareExchange(
                expected: current, desired: partition, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}
