// Wire decoding with the same defaults as the plan: a caller of the agent API (or a
// person with curl) may leave out every parameter that has a default, e.g.
// {"kind": "loss", "parameters": {"percent": 5}}. Synthesized Codable would demand
// every field. Encoding stays synthesized (it writes every field).

extension Latency {
    private enum Keys: String, CodingKey { case delay, jitter, correlation, distribution, filter }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(delay: try c.decode(TimeSpan.self, forKey: .delay),
                  jitter: try c.decodeIfPresent(TimeSpan.self, forKey: .jitter) ?? .zero,
                  correlation: try c.decodeIfPresent(Percent.self, forKey: .correlation) ?? Percent(points: 0),
                  distribution: try c.decodeIfPresent(DelayDistribution.self, forKey: .distribution) ?? .uniform,
                  filter: try c.decodeIfPresent(NetworkFilter.self, forKey: .filter) ?? NetworkFilter())
    }
}

/// percent, correlation, filter: the shape loss, duplicate and corrupt share.
private enum PercentKeys: String, CodingKey { case percent, correlation, filter, delay }

private extension KeyedDecodingContainer where K == PercentKeys {
    var percent: Percent { get throws { try decode(Percent.self, forKey: .percent) } }
    var correlation: Percent { get throws { try decodeIfPresent(Percent.self, forKey: .correlation) ?? Percent(points: 0) } }
    var filter: NetworkFilter { get throws { try decodeIfPresent(NetworkFilter.self, forKey: .filter) ?? NetworkFilter() } }
}

extension Loss {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PercentKeys.self)
        self.init(percent: try c.percent, correlation: try c.correlation, filter: try c.filter)
    }
}

extension Duplicate {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PercentKeys.self)
        self.init(percent: try c.percent, correlation: try c.correlation, filter: try c.filter)
    }
}

extension Corrupt {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PercentKeys.self)
        self.init(percent: try c.percent, correlation: try c.correlation, filter: try c.filter)
    }
}

extension Reorder {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PercentKeys.self)
        self.init(percent: try c.percent, correlation: try c.correlation,
                  delay: try c.decodeIfPresent(TimeSpan.self, forKey: .delay) ?? .milliseconds(10), filter: try c.filter)
    }
}

extension Bandwidth {
    private enum Keys: String, CodingKey { case rate, burst, limit, filter }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(rate: try c.decode(Rate.self, forKey: .rate), burst: try c.decodeIfPresent(ByteSize.self, forKey: .burst),
                  limit: try c.decodeIfPresent(ByteSize.self, forKey: .limit),
                  filter: try c.decodeIfPresent(NetworkFilter.self, forKey: .filter) ?? NetworkFilter(direction: .outbound))
    }
}

extension Partition {
    private enum Keys: String, CodingKey { case topology, filter }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(topology: try c.decode(PartitionTopology.self, forKey: .topology),
                  filter: try c.decodeIfPresent(NetworkFilter.self, forKey: .filter) ?? NetworkFilter())
    }
}

extension Kill {
    private enum Keys: String, CodingKey { case process, signal }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(process: try c.decode(ProcessSelector.self, forKey: .process), signal: try c.decodeIfPresent(Signal.self, forKey: .signal) ?? .kill)
    }
}

extension Pause {
    private enum Keys: String, CodingKey { case process, mechanism }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(process: try c.decode(ProcessSelector.self, forKey: .process),
                  mechanism: try c.decodeIfPresent(PauseMechanism.self, forKey: .mechanism) ?? .auto)
    }
}

extension ClockSkew {
    private enum Keys: String, CodingKey { case offset, scope, process, strobe }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(offset: try c.decode(TimeSpan.self, forKey: .offset), scope: try c.decodeIfPresent(ClockScope.self, forKey: .scope) ?? .process,
                  process: try c.decodeIfPresent(ProcessSelector.self, forKey: .process),
                  strobe: try c.decodeIfPresent(Strobe.self, forKey: .strobe))
    }
}
