/// Shift what the selected processes (or the whole host) see as the wall-clock time.
///
/// Process scope patches the target's vDSO time entries (`clock_gettime`, `gettimeofday`,
/// `time`) with all its threads stopped, shifting CLOCK_REALTIME only; it works on static
/// and Go binaries. Host scope steps the host's realtime clock and needs the agent's
/// policy to allow it (dedicated staging VMs only). Monotonic clocks are never shifted.
public struct ClockSkew: Hashable, Sendable, Codable {
    /// Added to the wall clock; negative moves it back. Not 0, at most 1 year either way.
    public var offset: TimeSpan
    public var scope: ClockScope = .process
    /// Which processes (process scope only).
    public var process: ProcessSelector?
    /// Alternate between `offset` and `strobe.offset` every `strobe.every`.
    public var strobe: Strobe?

    public init(offset: TimeSpan, scope: ClockScope = .process, process: ProcessSelector? = nil, strobe: Strobe? = nil) {
        self.offset = offset; self.scope = scope; self.process = process; self.strobe = strobe
    }

    public struct Strobe: Hashable, Sendable, Codable {
        /// The other offset to alternate with (default 0: the true time).
        public var offset: TimeSpan = .zero
        /// How long each offset holds; at least 1ms.
        public var every: TimeSpan
        public init(offset: TimeSpan = .zero, every: TimeSpan) { self.offset = offset; self.every = every }
    }

    public func problems() -> [FieldProblem] {
        var out: [FieldProblem] = []
        let year = TimeSpan.seconds(366 * 86_400)
        if offset == .zero { out.append(FieldProblem("offset", "expected a non-zero offset such as 30s or -5m")) }
        if offset > year || offset < .zero - year { out.append(FieldProblem("offset", "expected at most a year either way, found \(offset)")) }
        switch scope {
        case .process:
            if let process { out += process.problems() } else {
                out.append(FieldProblem("process", "process-scope clock skew needs a process selector (e.g. process: etcd)"))
            }
        case .host:
            if process != nil { out.append(FieldProblem("process", "host-scope clock skew shifts the whole host; drop 'process' or use scope: process")) }
        }
        if let strobe, strobe.every < .milliseconds(1) {
            out.append(FieldProblem("strobe.every", "expected at least 1ms, found \(strobe.every)"))
        }
        return out
    }
}

public enum ClockScope: String, Hashable, Sendable, Codable, CaseIterable {
    case process, host
}
