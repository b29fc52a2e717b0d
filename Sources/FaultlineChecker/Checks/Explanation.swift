/// Renders a linearizability violation as a short account a person can read.
extension LinearizabilityResult {
    /// Text for the first illegal partition, or nil if none. Operations are described with
    /// `describe` (index → text); for histories use `explanation(history:)`.
    public func explanation(describe: (Int) -> String, prefixShown: Int = 5) -> String? {
        guard let report = firstIllegal else { return nil }
        var lines: [String] = []
        let subject = report.label.isEmpty ? "the register" : "key \"\(report.label)\""
        lines.append("not linearizable: \(subject) (\(report.operationCount) operations)")
        if let conflict = report.conflict {
            return (lines + conflict.explanationLines(describe: describe)).joined(separator: "\n")
        }
        let shownStart = max(0, report.order.count - prefixShown)
        if report.order.isEmpty {
            lines.append("  no operation can take effect first, from the initial state \(report.stateAtBlock ?? "?")")
        } else {
            lines.append("  longest valid order found has \(report.order.count) operations; its last ones:")
            for position in shownStart..<report.order.count {
                let state = position < report.statesAfter.count ? report.statesAfter[position] : "?"
                lines.append("    \(describe(report.order[position]))   ⇒ \(state)")
            }
        }
        if let blocked = report.blocked {
            lines.append("  then this operation must take effect before it completes:")
            lines.append("    \(describe(blocked))")
            let others = report.pending.filter { $0 != blocked }
            if others.isEmpty {
                lines.append("  but it cannot in state \(report.stateAtBlock ?? "?"), and no other operation is pending")
            } else {
                lines.append("  but from state \(report.stateAtBlock ?? "?") no order of it and the operations pending with it works:")
                for other in others.prefix(12) { lines.append("    \(describe(other))") }
                if others.count > 12 { lines.append("    … and \(others.count - 12) more") }
            }
        }
        return lines.joined(separator: "\n")
    }

    public func explanation(history: History) -> String? {
        explanation(describe: { history.operations[$0].summary })
    }
}
