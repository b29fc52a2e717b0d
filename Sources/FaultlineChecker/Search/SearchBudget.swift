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
