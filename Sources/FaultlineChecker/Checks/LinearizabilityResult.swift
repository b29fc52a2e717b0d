/// The answer of a check. `unknown` means the time budget ran out before an answer was
/// found: the checker never guesses.
public enum Verdict: String, Sendable, Equatable {
    case ok
    case illegal
    case unknown
}

/// The result of a linearizability check: the overall verdict and what each partition
/// (key) found.
public struct LinearizabilityResult: Sendable {
    public var verdict: Verdict
    public var partitions: [PartitionReport]

    /// The partition that decides an illegal verdict: the first illegal one in partition
    /// order among those that finished.
    /// `unknown`: the budget that ran out (memory before time: more time would not help).
    public var limitReached: SearchLimit? {
        let limits = partitions.compactMap(\.limitReached)
        return limits.contains(.memory) ? .memory : limits.first
    }

    public var firstIllegal: PartitionReport? {
        partitions.first { $0.verdict == .illegal }
    }
}

/// What the search found for one partition. Operation references are indices into the
/// list the check was given (`History.operations` for history checks).
public struct PartitionReport: Sendable {
    public var label: String
    /// `nil` when the partition was not finished because another partition was already
    /// illegal (its answer cannot change the verdict).
    public var verdict: Verdict?
    public var operationCount: Int
    /// `ok`: a complete linearization. `illegal`: the longest linearizable prefix found,
    /// as data for a report.
    public var order: [Int]
    /// `illegal`: the model state after each operation of `order`, described.
    public var statesAfter: [String]
    /// `illegal`: the operation that had to take effect by its completion but could not.
    public var blocked: Int?
    /// `illegal`: the operations pending (invoked, not yet linearized) at that point: none of
    /// them could be ordered to let `blocked` complete.
    public var pending: [Int]
    /// `illegal`: the state after `order`.
    public var stateAtBlock: String?
    /// Search steps taken, distinct model states met and configurations cached (for
    /// benchmarks and for judging how hard a history was).
    public var iterations: Int
    public var states: Int
    public var configurations: Int
    /// `illegal` found by `PartitionMethod.uniqueValueBlocks`: the fact that rules out every
    /// order (then `order` is empty and `blocked` nil).
    public var conflict: ValueOrderConflict? = nil
    /// How this partition was decided.
    public var method: PartitionMethod = .search
    /// `unknown`: which budget ran out.
    public var limitReached: SearchLimit? = nil
}

/// How a partition was checked.
public enum PartitionMethod: String, Sendable, Equatable {
    /// The general search (Wing & Gong with Lowe's cache), for any model.
    case search
    /// Read/write register with a distinct value per write: the polynomial block-order test
    /// (Gibbons & Korach), no search.
    case uniqueValueBlocks
}

/// The budget a check ran out of (verdict `unknown`).
public enum SearchLimit: String, Sendable, Equatable {
    case time
    case memory
}

/// Which algorithms a check may use.
public enum CheckStrategy: Sendable, Equatable {
    /// The polynomial test where its preconditions hold (unique-value read/write registers),
    /// else the general search.
    case automatic
    /// The general search only (for cross-checking the specialised test).
    case searchOnly
}
