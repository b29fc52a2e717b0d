import FaultlineChecker

/// What a recorder produced: the history, and what is needed to understand or repeat it.
public struct WorkloadRecording: Sendable {
    public var name: String
    public var history: History
    /// The seed of the run's random choices.
    public var seed: UInt64
    /// Monotonic ns when the first client started and the last one stopped (final reads
    /// excluded).
    public var started: UInt64
    public var stopped: UInt64
    /// Why operations did not end ok, with how often, e.g. "not sent: connect:
    /// ECONNREFUSED" → 212 (CAS mismatches are answers, not failures, and are not here).
    public var failureReasons: [String: Int]

    /// Operations issued during the run (final reads excluded).
    public var workloadOperations: [Operation] { history.operations.filter { !$0.isFinalRead } }
    public var finalReads: [Operation] { history.operations.filter(\.isFinalRead) }

    /// Run operations by outcome.
    public func count(_ outcome: Outcome) -> Int {
        history.operations.count { !$0.isFinalRead && $0.outcome == outcome }
    }

    /// Completed run operations per second of the run.
    public var operationsPerSecond: Double {
        let seconds = Double(stopped &- started) / 1e9
        return seconds > 0 ? Double(workloadOperations.count) / seconds : 0
    }

    /// The history in Faultline's JSON Lines format, with the workload's name and seed in
    /// the header so a reader can repeat the run's choices.
    public func jsonLines() -> String {
        var text = "{\"faultline-history\":1,\"clock\":\"monotonic-ns\",\"workload\":"
            + jsonString(name) + ",\"seed\":\"\(seed)\"}\n"
        for operation in history.operations.sorted(by: { ($0.invoke, $0.client) < ($1.invoke, $1.client) }) {
            text += FaultlineHistoryWriter.line(operation)
            text += "\n"
        }
        return text
    }

    /// A JSON string literal (the checker's writer keeps its escaper internal).
    private func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
