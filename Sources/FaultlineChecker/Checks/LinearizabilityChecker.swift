import Synchronization

/// Checks histories for linearizability, one partition (key) per task on all cores.
public enum LinearizabilityChecker {
    /// The built-in models, by the names the CLI uses.
    public enum HistoryModel: String, Sendable, CaseIterable {
        case register
        case cas
        case kv
    }

    /// Checks a recorded history against one of the built-in models, per key.
    /// - Parameter timeout: budget for the whole check; `nil` = no limit.
    public static func check(_ history: History, model: HistoryModel,
                             timeout: Duration? = nil) throws(ModelMismatch) -> LinearizabilityResult {
        switch model {
        case .register, .cas:
            let converted = try RegisterModel.operations(of: history, allowCompareAndSet: model == .cas)
            return check(RegisterModel.model(values: converted.values, keys: converted.keys),
                         operations: converted.operations, timeout: timeout)
        case .kv:
            let converted = try KeyValueModel.operations(of: history)
            return check(KeyValueModel.model(keys: converted.keys),
                         operations: converted.operations, timeout: timeout)
        }
    }

    /// Checks operations against any model. Partitions run concurrently; the verdict does
    /// not depend on scheduling: `illegal` if any partition is illegal, else `unknown` if any
    /// ran out of time, else `ok`. As soon as one partition is found illegal the others stop
    /// (as in Porcupine), so when several keys are illegal, which of them is explained can
    /// vary from run to run; the verdict cannot.
    public static func check<State, Input, Output>(
        _ model: Model<State, Input, Output>, operations: [ModelOperation<Input, Output>],
        timeout: Duration? = nil
    ) -> LinearizabilityResult {
        let resolved = ResolvedModel(model)
        let partitions = resolved.partition(operations)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let coordination = SearchCoordination()
        let slots = ResultSlots(count: partitions.count)

        let work: @Sendable (Int) -> Void = { index in
            let budget = SearchBudget(deadline: deadline, coordination: coordination, partitionIndex: index)
            let search = LinearizationSearch(model: resolved, operations: partitions[index].operations)
            let result = search.run(budget: budget)
            if result.verdict == .illegal { coordination.reportIllegal(partition: index) }
            slots.store(result, at: index)
        }
        PartitionThreads.run(count: partitions.count, work)

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
                                         states: result.states, configurations: result.configurations)
            switch result.verdict {
            case .ok: report.verdict = .ok
            case .illegal: report.verdict = .illegal; anyIllegal = true
            case .timedOut: report.verdict = .unknown; anyUnknown = true
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
