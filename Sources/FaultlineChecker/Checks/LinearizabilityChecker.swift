import Synchronization

/// Checks histories for linearizability, one partition (key) per task on all cores.
public enum LinearizabilityChecker {
    /// The built-in models, by the names the CLI uses.
    public enum HistoryModel: String, Sendable, CaseIterable {
        case register
        case cas
        case kv
    }

    /// Memory the searches of one check may add to their caches, by default: beyond it the
    /// check answers `unknown` (with `SearchLimit.memory`) instead of exhausting the machine.
    public static let defaultMemoryLimit = 4 << 30

    /// Below this many operations a check runs on the calling thread.
    static let smallCheckOperations = 1_000

    /// Checks a recorded history against one of the built-in models, per key.
    /// - Parameters:
    ///   - timeout: budget for the whole check; `nil` = no limit.
    ///   - memoryLimit: bytes the searches may add to their caches, all partitions together.
    ///   - strategy: `.automatic` decides read/write registers whose writes wrote distinct
    ///     values (what Faultline's workloads record) with the polynomial block-order test,
    ///     and so the keys of a kv history with only gets and puts of distinct values; any
    ///     other partition with the general search.
    public static func check(_ history: History, model: HistoryModel, timeout: Duration? = nil,
                             memoryLimit: Int = defaultMemoryLimit,
                             strategy: CheckStrategy = .automatic) throws(ModelMismatch) -> LinearizabilityResult {
        switch model {
        case .register, .cas:
            let converted = try RegisterModel.operations(of: history, allowCompareAndSet: model == .cas)
            let first = strategy == .automatic ? keysWithLostWrites(history, semantics: .register) : []
            return check(ResolvedModel(RegisterModel.model(values: converted.values, keys: converted.keys)),
                         operations: converted.operations, timeout: timeout, memoryLimit: memoryLimit,
                         shortcut: strategy == .automatic ? UniqueValueRegisterCheck.run : nil,
                         searchFirst: first)
        case .kv:
            let converted = try KeyValueModel.operations(of: history)
            let first = strategy == .automatic ? keysWithLostWrites(history, semantics: .appending) : []
            return check(ResolvedModel(KeyValueModel.model(keys: converted.keys)),
                         operations: converted.operations, timeout: timeout, memoryLimit: memoryLimit,
                         shortcut: strategy == .automatic ? UniqueValueKeyValueCheck.run : nil,
                         searchFirst: first)
        }
    }

    /// Keys where `LostWriteChecker` (O(n log n), sound: a linearizable history loses no
    /// write) already sees a violation. The search checks them before the others, alone on
    /// the cores, so a violation is confirmed and explained without waiting behind the
    /// searches of healthy keys (Porcupine's c50-bad: several keys lose appends).
    static func keysWithLostWrites(_ history: History, semantics: LostWriteChecker.Semantics) -> Set<String> {
        // Only where the order of partitions can matter: several keys, on several threads.
        guard history.operations.count >= smallCheckOperations,
              let firstKey = history.operations.first?.key,
              history.operations.contains(where: { $0.key != firstKey }) else { return [] }
        let lost = LostWriteChecker.check(history, semantics: semantics).lost
        return Set(lost.map { history.operations[$0.write].key })
    }

    /// Checks operations against any model. Partitions run concurrently; the verdict does
    /// not depend on scheduling: `illegal` if any partition is illegal, else `unknown` if any
    /// ran out of time, else `ok`. As soon as one partition is found illegal the others stop
    /// (as in Porcupine), so when several keys are illegal, which of them is explained can
    /// vary from run to run; the verdict cannot.
    public static func check<State, Input, Output>(
        _ model: Model<State, Input, Output>, operations: [ModelOperation<Input, Output>],
        timeout: Duration? = nil, memoryLimit: Int = defaultMemoryLimit
    ) -> LinearizabilityResult {
        check(ResolvedModel(model), operations: operations, timeout: timeout, memoryLimit: memoryLimit,
              shortcut: nil, searchFirst: [])
    }

    /// `shortcut` decides a partition without search when it can (non-nil answer).
    static func check<State, Input, Output>(
        _ resolved: ResolvedModel<State, Input, Output>, operations: [ModelOperation<Input, Output>],
        timeout: Duration?, memoryLimit: Int,
        shortcut: (@Sendable ([ModelOperation<Input, Output>]) -> PartitionSearchResult?)?,
        searchFirst: Set<String> = []
    ) -> LinearizabilityResult {
        let partitions = resolved.partition(operations)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let coordination = SearchCoordination(memoryLimit: memoryLimit)
        let slots = ResultSlots(count: partitions.count)

        let work: @Sendable (Int) -> Void = { index in
            let budget = SearchBudget(deadline: deadline, coordination: coordination, partitionIndex: index)
            let result: PartitionSearchResult
            if budget.shouldStop() == .superseded {
                // Another partition is already illegal: this one cannot change the verdict.
                result = PartitionSearchResult(verdict: .superseded, order: [], statesAfter: [], blocked: nil,
                                               pending: [], stateAtBlock: nil, iterations: 0)
            } else if let shortcut, let decided = shortcut(partitions[index].operations) {
                result = decided
            } else {
                let search = LinearizationSearch(model: resolved, operations: partitions[index].operations)
                result = search.run(budget: budget)
            }
            if result.verdict == .illegal { coordination.reportIllegal(partition: index) }
            slots.store(result, at: index)
        }
        // Below about a thousand operations in all, checking takes less time than starting
        // threads (Porcupine's kv files c01 and c10: tens of microseconds per key).
        let smallCheck = operations.count < smallCheckOperations
        let maxThreads = smallCheck ? 1 : 16
        // Partitions already known to hold a violation first, by themselves; the rest only
        // if none of those turned out illegal (it always does, unless a budget ran out).
        let suspects = partitions.indices.filter { searchFirst.contains(partitions[$0].label) }
        let others = partitions.indices.filter { !searchFirst.contains(partitions[$0].label) }
        for group in [suspects, others] where !group.isEmpty {
            PartitionThreads.run(count: group.count, maxThreads: maxThreads) { work(group[$0]) }
        }

        var reports: [PartitionReport] = []
        var anyIllegal = false, anyUnknown = false
        for (index, partition) in partitions.enumerated() {
            let result = slots.take(at: index)
            let source = { (position: Int) in partition.operations[position].source }
            var report = PartitionReport(label: partition.label, verdict: nil,
                                         operationCount: partition.operations.count,
                                         order: result.order.map(source), statesAfter: result.statesAfter,
                                         blocked: result.blocked.map(source), pending: result.pending.map(source),
                                         stateAtBlock: result.stateAtBlock, iterations: result.iterations,
                                         states: result.states, configurations: result.configurations,
                                         conflict: result.conflict?.mapOperations(source), method: result.method)
            switch result.verdict {
            case .ok: report.verdict = .ok
            case .illegal: report.verdict = .illegal; anyIllegal = true
            case .timedOut: report.verdict = .unknown; report.limitReached = .time; anyUnknown = true
            case .outOfMemory: report.verdict = .unknown; report.limitReached = .memory; anyUnknown = true
            case .superseded: report.verdict = nil
            }
            reports.append(report)
        }
        let verdict: Verdict = anyIllegal ? .illegal : anyUnknown ? .unknown : .ok
        return LinearizabilityResult(verdict: verdict, partitions: reports)
    }
}

/// One result slot per partition, filled by concurrent searches.
private final class ResultSlots: Sendable {
    private let results: Mutex<[PartitionSearchResult?]>

    init(count: Int) {
        results = Mutex([PartitionSearchResult?](repeating: nil, count: count))
    }

    func store(_ result: PartitionSearchResult, at index: Int) {
        results.withLock { $0[index] = result }
    }

    func take(at index: Int) -> PartitionSearchResult {
        results.withLock { $0[index]! }
    }
}
