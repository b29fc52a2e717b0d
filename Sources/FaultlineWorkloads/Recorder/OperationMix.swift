import FaultlineChecker

/// The relative weights of reads, writes and compare-and-sets in a workload.
///
/// Reads are what expose stale or lost data; writes and successful CASes give them
/// something to find; CASes that fail still constrain the history. The default leans on
/// reads and writes, as Jepsen's register workloads do.
public struct OperationMix: Sendable, Equatable {
    public var read: Double
    public var write: Double
    public var cas: Double

    public init(read: Double = 0.5, write: Double = 0.3, cas: Double = 0.2) {
        precondition(read >= 0 && write >= 0 && cas >= 0 && read + write + cas > 0, "weights must be ≥ 0, not all 0")
        self.read = read
        self.write = write
        self.cas = cas
    }

    /// Picks a kind with the given weights; CAS is dropped (its weight ignored) when the
    /// client cannot do it.
    func pick(using generator: inout Xoshiro256, casAvailable: Bool) -> OperationKind {
        let casWeight = casAvailable ? cas : 0
        let total = read + write + casWeight
        if total <= 0 { return .read }
        // 53 random bits → a uniform double in [0, 1).
        let unit = Double(generator.next() >> 11) / Double(1 << 53)
        let point = unit * total
        if point < read { return .read }
        if point < read + write || casWeight == 0 { return .write }
        return .cas
    }
}
