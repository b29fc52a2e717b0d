/// What one probe call saw: pass or fail, the measured value, and in words what was
/// expected and what came back. The engine adds the times and phase for the journal.
public struct ProbeObservation: Sendable, Hashable {
    /// The host the call was made against, for probes with `each`.
    public var host: String?
    public var ok: Bool
    public var value: Double?
    public var detail: String
    public var durationSeconds: Double

    public init(host: String?, ok: Bool, value: Double?, detail: String, durationSeconds: Double) {
        self.host = host; self.ok = ok; self.value = value; self.detail = detail; self.durationSeconds = durationSeconds
    }
}
