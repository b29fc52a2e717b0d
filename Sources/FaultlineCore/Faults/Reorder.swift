/// Reorder packets: `percent` of packets go out at once while the rest wait `delay`
/// (netem `reorder`, which needs a delay to reorder against).
public struct Reorder: Hashable, Sendable, Codable {
    public var percent: Percent
    public var correlation: Percent = Percent(points: 0)
    /// The delay the other packets get; must be > 0.
    public var delay: TimeSpan = .milliseconds(10)
    public var filter: NetworkFilter = NetworkFilter()

    public init(percent: Percent, correlation: Percent = Percent(points: 0), delay: TimeSpan = .milliseconds(10),
                filter: NetworkFilter = NetworkFilter()) {
        self.percent = percent; self.correlation = correlation; self.delay = delay; self.filter = filter
    }

    public func problems() -> [FieldProblem] {
        var out = percentProblems(percent)
        if delay <= .zero { out.append(FieldProblem("delay", "expected a duration above 0 (reordering needs a delay), found \(delay)")) }
        return out + filter.problems()
    }
}
