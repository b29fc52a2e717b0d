/// Limit throughput to `rate` (token bucket: tbf; per-peer: htb with u32 classes; inbound:
/// through an ifb device in the host's namespace). Default direction: outbound.
public struct Bandwidth: Hashable, Sendable, Codable {
    /// Rate in bits per second (`10mbit`); see `Rate` for the bytes/bits units.
    public var rate: Rate
    /// Bucket size; nil picks rate/250 (one 4 ms tick of data) and at least 32kb.
    public var burst: ByteSize?
    /// Bytes that may queue before drops; nil picks 100 ms worth of data at `rate`.
    public var limit: ByteSize?
    public var filter: NetworkFilter = NetworkFilter(direction: .outbound)

    public init(rate: Rate, burst: ByteSize? = nil, limit: ByteSize? = nil, filter: NetworkFilter = NetworkFilter(direction: .outbound)) {
        self.rate = rate; self.burst = burst; self.limit = limit; self.filter = filter
    }

    public var effectiveBurst: ByteSize { burst ?? ByteSize(bytes: max(32 * 1024, rate.bytesPerSecond / 250)) }
    public var effectiveLimit: ByteSize { limit ?? ByteSize(bytes: max(effectiveBurst.bytes, rate.bytesPerSecond / 10)) }

    public func problems() -> [FieldProblem] {
        var out: [FieldProblem] = []
        if let burst, burst.bytes < 1600 {
            out.append(FieldProblem("burst", "expected at least 1600b (one full-size packet), found \(burst)"))
        }
        return out + filter.problems()
    }
}
