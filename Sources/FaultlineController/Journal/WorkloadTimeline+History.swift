import FaultlineChecker

extension WorkloadTimeline {
    /// Interval widths a reader can count in, smallest first.
    static let widths: [Double] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]

    /// The timeline of a recorded workload (final reads left out: they are the checker's,
    /// not the workload's). Pure.
    ///
    /// - Parameters:
    ///   - anchorT, anchorNanoseconds: one moment on both clocks — run seconds, and the
    ///     history's monotonic nanoseconds — to move operation times onto the run's clock.
    ///   - maximumIntervals: the widest chart; the interval is the smallest of `widths`
    ///     that fits the span into it.
    public static func of(_ operations: [Operation], anchorT: Double, anchorNanoseconds: UInt64,
                          maximumIntervals: Int = 120) -> WorkloadTimeline {
        func t(_ ns: UInt64) -> Double { anchorT + Double(Int64(bitPattern: ns &- anchorNanoseconds)) / 1e9 }
        let ops = operations.filter { !$0.isFinalRead }.sorted { ($0.invoke, $0.client) < ($1.invoke, $1.client) }
        guard let first = ops.first, let last = ops.last else {
            return WorkloadTimeline(intervalSeconds: 1, intervals: [], longestFailureRun: nil, longestFailureRunPerClient: [])
        }
        let start = t(first.invoke), span = max(0, t(last.invoke) - start)
        let width = widths.first { span / $0 < Double(maximumIntervals) } ?? widths.last!
        let origin = (start / width).rounded(.down) * width
        let count = Int(((t(last.invoke) - origin) / width).rounded(.down)) + 1

        var answered = [Int](repeating: 0, count: count), failed = answered, unknown = answered
        var latencies = [[Double]](repeating: [], count: count)
        for op in ops {
            let i = min(count - 1, max(0, Int(((t(op.invoke) - origin) / width).rounded(.down))))
            switch category(op) {
            case .answered:
                answered[i] += 1
                if let done = op.completion, done >= op.invoke { latencies[i].append(Double(done - op.invoke) / 1e6) }
            case .failed: failed[i] += 1
            case .indeterminate: unknown[i] += 1
            }
        }
        let intervals = (0..<count).map { i in
            let sorted = latencies[i].sorted()
            return Interval(t: origin + Double(i) * width, answered: answered[i], failed: failed[i], indeterminate: unknown[i],
                            p50Milliseconds: percentile(sorted, 0.50), p99Milliseconds: percentile(sorted, 0.99))
        }

        let overall = longestRun(ops, client: nil, t: t)
        let clients = Set(ops.map(\.client)).sorted()
        let perClient = clients.compactMap { c in longestRun(ops.filter { $0.client == c }, client: c, t: t) }
        return WorkloadTimeline(intervalSeconds: width, intervals: intervals, longestFailureRun: overall, longestFailureRunPerClient: perClient)
    }

    enum Category { case answered, failed, indeterminate }

    /// A CAS refused for a changed value is an answer; every other `fail` is a refusal.
    static func category(_ op: Operation) -> Category {
        switch op.outcome {
        case .ok: .answered
        case .fail: op.kind == .cas ? .answered : .failed
        case .info: .indeterminate
        }
    }

    /// The longest run of consecutive unanswered operations among `ops` (in send order).
    static func longestRun(_ ops: [Operation], client: Int?, t: (UInt64) -> Double) -> FailureRun? {
        var best: FailureRun?
        var current: FailureRun?
        for op in ops {
            if category(op) == .answered {
                current = nil
                continue
            }
            let end = t(op.completion ?? op.invoke)
            if var run = current {
                run.end = max(run.end, end)
                run.operations += 1
                current = run
            } else {
                current = FailureRun(client: client, start: t(op.invoke), end: end, operations: 1)
            }
            if let run = current, run.seconds > (best?.seconds ?? -1) { best = run }
        }
        return best
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
