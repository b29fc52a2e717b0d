import FaultlineChecker
import FaultlineWorkloads

/// The three checks of a recorded register history, with text for failure messages.
struct Verdicts {
    var linearizable: Verdict
    var lostWrites: LostWriteChecker.Result
    var convergence: ConvergenceChecker.Result
    let recording: WorkloadRecording
    let linearizability: LinearizabilityResult

    init(_ recording: WorkloadRecording) throws {
        self.recording = recording
        let history = recording.history
        linearizability = try LinearizabilityChecker.check(history, model: .cas, timeout: .seconds(20))
        linearizable = linearizability.verdict
        lostWrites = LostWriteChecker.check(history, semantics: .register)
        convergence = ConvergenceChecker.check(history)
    }

    /// For failure messages (computed only when one is shown).
    var explanation: String {
        let history = recording.history
        let lost = LostWriteChecker.explanation(lostWrites, history: history).split(separator: "\n").prefix(3).map(String.init)
        return ([
            "seed \(recording.seed); \(history.operations.count) operations",
            "ok \(recording.count(.ok)), fail \(recording.count(.fail)), info \(recording.count(.info))",
            "failures: \(recording.failureReasons.sorted { $0.value > $1.value }.prefix(5))",
            linearizability.explanation(history: history) ?? "",
            "\(lostWrites.lost.count) lost writes",
            ConvergenceChecker.explanation(convergence),
        ] + lost).filter { !$0.isEmpty }.joined(separator: "\n")
    }

    /// One line for the test log.
    var summary: String {
        "seed \(recording.seed): \(recording.workloadOperations.count) ops, \(Int(recording.operationsPerSecond)) ops/s; "
            + "ok \(recording.count(.ok)), fail \(recording.count(.fail)), info \(recording.count(.info)); "
            + "linearizable \(linearizable), lost writes \(lostWrites.lost.count), converged \(convergence.verdict)"
    }
}
