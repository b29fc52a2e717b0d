import FaultlineCore

/// What a method may expand to, counted before anything is laid out or run.
///
/// Pure. Nested `repeat`s multiply (three levels of `times: 10000` are 10¹² steps, which
/// `faultline plan` would otherwise try to print), and `times` × `every` or a long fault
/// can pass the largest time span and wrap to a negative start. Both are counted here with
/// checked arithmetic that stops as soon as a bound is passed, so the count itself is
/// cheap whatever the plan says.
public enum PlanBounds {
    /// Steps after every `repeat` is unrolled: far above any game day, small enough for
    /// the timeline, the journal and the report to hold each step.
    public static let maximumExpandedSteps = 100_000
    /// A week: no experiment's method is longer, and every time in it fits a time span.
    public static let maximumDuration = TimeSpan.seconds(7 * 24 * 3600)

    /// Steps `steps` unroll to, or nil when that passes `maximumExpandedSteps`.
    public static func expandedSteps(_ steps: [Step]) -> Int? {
        var total = 0
        for step in steps {
            guard let n = expandedSteps(step) else { return nil }
            total += n
            if total > maximumExpandedSteps { return nil }
        }
        return total
    }

    /// How long `steps` take laid out in sequence (as `Timeline` lays them out), or nil
    /// when that passes `maximumDuration`.
    public static func duration(_ steps: [Step]) -> TimeSpan? {
        var total = TimeSpan.zero
        for step in steps {
            guard let d = duration(step), let sum = checkedSum(total, d) else { return nil }
            total = sum
        }
        return total
    }

    private static func expandedSteps(_ step: Step) -> Int? {
        switch step.kind {
        case .fault, .wait, .action: return 1
        case .sequence(let steps), .parallel(let steps): return expandedSteps(steps)
        case .repeatSteps(let times, _, let steps):
            guard let once = expandedSteps(steps) else { return nil }
            let (product, overflow) = once.multipliedReportingOverflow(by: times)
            return overflow || product > maximumExpandedSteps ? nil : product
        }
    }

    private static func duration(_ step: Step) -> TimeSpan? {
        switch step.kind {
        case .fault(let f): return within(f.duration ?? .zero)
        case .wait(let span): return within(span)
        case .action: return .zero
        case .sequence(let steps): return duration(steps)
        case .parallel(let steps):
            var longest = TimeSpan.zero
            for s in steps {
                guard let d = duration(s) else { return nil }
                longest = max(longest, d)
            }
            return longest
        case .repeatSteps(let times, let every, let steps):
            // Iterations start max(iteration, every) apart; the last one runs to its end.
            guard let once = duration(steps) else { return nil }
            let stride = max(once, every ?? once)
            let (gaps, overflow) = stride.nanoseconds.multipliedReportingOverflow(by: Int64(max(times - 1, 0)))
            guard !overflow else { return nil }
            return checkedSum(TimeSpan(nanoseconds: gaps), once)
        }
    }

    private static func checkedSum(_ a: TimeSpan, _ b: TimeSpan) -> TimeSpan? {
        let (sum, overflow) = a.nanoseconds.addingReportingOverflow(b.nanoseconds)
        return overflow ? nil : within(TimeSpan(nanoseconds: sum))
    }

    private static func within(_ span: TimeSpan) -> TimeSpan? { span <= maximumDuration ? span : nil }
}
