/// Flip a random bit in a percentage of packets (netem `corrupt`). Needs netem: agents on
/// kernels without it report the fault as unavailable.
public struct Corrupt: Hashable, Sendable, Codable {
    public var percent: Percent
    public var correlation: Percent = Percent(points: 0)
    public var filter: NetworkFilter = NetworkFilter()

    public init(percent: Percent, correlation: Percent = Percent(points: 0), filter: NetworkFilter = NetworkFilter()) {
        self.percent = percent; self.correlation = correlation; self.filter = filter
    }

    public func problems() -> [FieldProblem] { percentProblems(percent) + filter.problems() }
}
