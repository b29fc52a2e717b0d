/// One search's share of the check's memory limit: every cache that grows with the search
/// (visited configurations, the transition memo, interned states and what they hold) asks
/// here before it grows, and what was granted goes back when the search ends.
///
/// Small requests are gathered locally and reserved from the shared limit a mebibyte at a
/// time, so a search that interns millions of small states does not contend on one atomic.
struct CacheAccount {
    let budget: SearchBudget
    private(set) var reserved = 0
    private var pending = 0
    static let batch = 1 << 20

    init(budget: SearchBudget) { self.budget = budget }

    /// Counts `bytes` more; false when the check's limit would be passed (the search stops).
    mutating func add(_ bytes: Int) -> Bool {
        pending += bytes
        guard pending >= Self.batch else { return true }
        guard budget.reserve(bytes: pending) else { return false }
        reserved += pending
        pending = 0
        return true
    }

    func close() { budget.release(bytes: reserved) }
}

/// A model state that holds memory outside its own layout (a string that grows), so the
/// checker's memory limit can count it.
protocol StateFootprint {
    var heapBytes: Int { get }
}
