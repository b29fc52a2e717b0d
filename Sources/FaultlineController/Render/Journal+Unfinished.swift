extension Journal {
    /// The faults applied and never seen reverted (not instant actions).
    public var unrevertedFaults: [FaultRecord] {
        faults.filter { $0.appliedAt != nil && $0.revertedAt == nil && !$0.fault.kind.isInstant }
    }

    /// What a journal without an outcome says, in a sentence: where it ends, and what was
    /// left applied. "unfinished: the run did not finish; its journal ends at +12.300s in
    /// the method phase; 1 fault applied and never confirmed reverted: fl-…-h1 (partition on
    /// h1); agents revert such faults when their lease (5s) runs out"
    public var unfinishedSummary: String {
        let analysis = RunAnalysis(self)
        var text = "unfinished: the run did not finish; its journal ends at \(RenderFormat.offset(analysis.endT))"
        if let last = analysis.phases.last { text += " in the \(last.phase.rawValue) phase" }
        let left = unrevertedFaults
        if left.isEmpty {
            text += "; no fault was left applied"
        } else {
            text += "; \(left.count) fault\(left.count == 1 ? "" : "s") applied and never confirmed reverted: "
                + left.map { "\($0.id) (\($0.fault.kind.rawValue) on \($0.host))" }.joined(separator: ", ")
                + "; agents revert such faults when their lease runs out"
        }
        return text
    }
}
