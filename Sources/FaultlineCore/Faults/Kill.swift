/// Send a signal to the selected processes (through pidfds, so a recycled pid is never
/// hit) and, for fatal signals, confirm their exit. Instant: nothing to revert. A restart
/// command, if any, comes from the agent's policy, never from the plan.
public struct Kill: Hashable, Sendable, Codable {
    public var process: ProcessSelector
    public var signal: Signal = .kill

    public init(process: ProcessSelector, signal: Signal = .kill) { self.process = process; self.signal = signal }

    public func problems() -> [FieldProblem] {
        var out = process.problems()
        if signal.number == 19 || signal.number == 18 {
            out.append(FieldProblem("signal", "use the pause fault to stop and continue processes: it always resumes them, a bare \(signal) does not"))
        }
        return out
    }
}
