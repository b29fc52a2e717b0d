import FaultlineCore

/// When each step of a method starts and ends, relative to the method's start.
///
/// Pure: computed from the steps alone. Actions (command, http) take as long as they take;
/// the timeline counts them as instant. `repeat` with `every` starts iterations that far
/// apart, or back to back when an iteration takes longer.
public struct Timeline: Sendable {
    public struct Entry: Sendable, Hashable {
        public var start: TimeSpan
        /// nil for instants (kill, actions).
        public var end: TimeSpan?
        public var step: Step
        /// For repeated steps, which iteration (0-based); nil otherwise.
        public var iteration: Int?
        /// Nesting depth, for indentation in printouts.
        public var depth: Int
    }

    public var entries: [Entry]
    public var total: TimeSpan

    public init(method: [Step]) {
        var entries: [Entry] = []
        total = Timeline.layout(method, start: .zero, depth: 0, iteration: nil, into: &entries)
        self.entries = entries
    }

    /// Lays steps out in sequence from `start`; returns the end time.
    private static func layout(_ steps: [Step], start: TimeSpan, depth: Int, iteration: Int?, into entries: inout [Entry]) -> TimeSpan {
        var t = start
        for step in steps { t = place(step, at: t, depth: depth, iteration: iteration, into: &entries) }
        return t
    }

    private static func place(_ step: Step, at t: TimeSpan, depth: Int, iteration: Int?, into entries: inout [Entry]) -> TimeSpan {
        switch step.kind {
        case .fault(let f):
            let end = f.duration.map { t + $0 }
            entries.append(Entry(start: t, end: end, step: step, iteration: iteration, depth: depth))
            return end ?? t
        case .wait(let span):
            entries.append(Entry(start: t, end: t + span, step: step, iteration: iteration, depth: depth))
            return t + span
        case .action:
            entries.append(Entry(start: t, end: nil, step: step, iteration: iteration, depth: depth))
            return t
        case .sequence(let steps):
            return layout(steps, start: t, depth: depth, iteration: iteration, into: &entries)
        case .parallel(let steps):
            var end = t
            for s in steps { end = max(end, place(s, at: t, depth: depth, iteration: iteration, into: &entries)) }
            return end
        case .repeatSteps(let times, let every, let steps):
            var iterationStart = t
            var end = t
            for i in 0..<times {
                end = layout(steps, start: iterationStart, depth: depth, iteration: i, into: &entries)
                iterationStart = max(end, every.map { iterationStart + $0 } ?? end)
            }
            return end
        }
    }
}
