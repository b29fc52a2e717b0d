/// Delay packets: `delay` ± `jitter`, with optional `correlation` between successive
/// delays and a `distribution` of the jitter.
///
/// Mechanisms: netem where the kernel has it; elsewhere Faultline's packet-delay engine
/// (NFQUEUE), which delays on the receiving side (KERNEL.md: delaying in the sender's own
/// output hook collapses TCP). Default direction: inbound.
public struct Latency: Hashable, Sendable, Codable {
    /// Added one-way delay. Must be > 0.
    public var delay: TimeSpan
    /// Random variation around `delay`; 0 for none. At most `delay`.
    public var jitter: TimeSpan = .zero
    /// How much each delay depends on the previous one, 0–100 %.
    public var correlation: Percent = Percent(points: 0)
    public var distribution: DelayDistribution = .uniform
    public var filter: NetworkFilter = NetworkFilter()

    public init(delay: TimeSpan, jitter: TimeSpan = .zero, correlation: Percent = Percent(points: 0),
                distribution: DelayDistribution = .uniform, filter: NetworkFilter = NetworkFilter()) {
        self.delay = delay; self.jitter = jitter; self.correlation = correlation
        self.distribution = distribution; self.filter = filter
    }

    public func problems() -> [FieldProblem] {
        var out: [FieldProblem] = []
        if delay <= .zero { out.append(FieldProblem("delay", "expected a duration above 0, found \(delay)")) }
        if delay > .seconds(60) { out.append(FieldProblem("delay", "expected at most 60s of delay, found \(delay)")) }
        if jitter < .zero { out.append(FieldProblem("jitter", "expected a duration of 0 or more, found \(jitter)")) }
        if jitter > delay { out.append(FieldProblem("jitter", "expected at most the delay (\(delay)), found \(jitter): a larger jitter would need negative delays")) }
        return out + filter.problems()
    }
}

/// The shape of a delay's random variation (netem's distribution tables).
public enum DelayDistribution: String, Hashable, Sendable, Codable, CaseIterable {
    case uniform, normal, pareto, paretonormal
}
