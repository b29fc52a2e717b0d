/// Drop a percentage of packets at random, optionally correlated (bursty loss).
///
/// Mechanism: nftables `numgen random` on the receiving side (inbound by default), or
/// netem loss where present. Measured here: 10 % → 9.5 %, 30 % → 30.6 % (KERNEL.md).
public struct Loss: Hashable, Sendable, Codable {
    /// Share of packets dropped, above 0 and at most 100 %.
    public var percent: Percent
    public var correlation: Percent = Percent(points: 0)
    public var filter: NetworkFilter = NetworkFilter()

    public init(percent: Percent, correlation: Percent = Percent(points: 0), filter: NetworkFilter = NetworkFilter()) {
        self.percent = percent; self.correlation = correlation; self.filter = filter
    }

    public func problems() -> [FieldProblem] {
        percentProblems(percent) + filter.problems()
    }
}

func percentProblems(_ percent: Percent, field: String = "percent") -> [FieldProblem] {
    percent.points > 0 ? [] : [FieldProblem(field, "expected a percentage above 0%, found \(percent)")]
}
