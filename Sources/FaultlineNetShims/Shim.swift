/// The contract every network fault shim follows.
///
/// A shim is one mechanism (one file): `PartitionShim` and `LossShim` (nftables through
/// libnftables), `NetemShim` and `BandwidthShim` (traffic control through rtnetlink with
/// libnl-route-3), and `DelayEngineShim` (iptables NFQUEUE + libnetfilter_queue, for kernels
/// without netem). Shims take concrete, resolved parameters only; mapping plan faults onto
/// specs is the agent's job.
///
/// The life of one fault, as the agent drives it:
///
/// 1. `let undo = try shim.undoRecord(for: id, spec: spec)` — pure, touches nothing. It
///    validates the spec and names every kernel object the fault will own (nftables table
///    `fl_<id>` and its family and namespace; qdisc handle and device; iptables chain, rule
///    and queue number). The agent writes it to its write-ahead ledger and syncs.
/// 2. `try shim.apply(spec, for: id)` — touches only objects Faultline owns, atomically where
///    the kernel allows (one nftables batch; one qdisc replace). Re-applying the same id
///    replaces the fault (the agent may retry after a crash between ledger write and apply).
///    It refuses, with a clear error and without changing anything, to touch objects it does
///    not own (e.g. a device whose root qdisc is the host's own). Returns the same `Undo`.
/// 3. `try shim.revert(undo)` — removes exactly what the undo names. Works in a fresh process
///    after `kill -9` of the agent (a new shim value, no in-memory state needed), and is
///    idempotent: reverting twice, reverting a fault that was never applied, or reverting in a
///    namespace that no longer exists is success.
///
/// `availability()` probes the mechanism for real in a scratch network namespace of its own
/// (made with `unshare(CLONE_NEWNET)` on a dedicated thread, gone when the thread exits),
/// caches the answer per process, and says exactly what is missing.
///
/// | shim | spec | undo record | kernel objects owned |
/// |---|---|---|---|
/// | `PartitionShim` | `PartitionSpec` | `NFTablesUndo` | `table inet fl_<id>` |
/// | `LossShim` | `LossSpec` | `NFTablesUndo` | `table inet fl_<id>` |
/// | `NetemShim` | `NetemSpec` | `TrafficControlUndo` | root qdisc `f???:` on the device |
/// | `BandwidthShim` | `BandwidthSpec` | `TrafficControlUndo` | root tbf/htb `f???:` (egress); ingress qdisc + ifb `fl-<hash>` (ingress) |
/// | `DelayEngineShim` | `DelayEngineSpec` | `DelayEngineUndo` | iptables chain `FL-<hash>` + its jump in mangle PREROUTING, NFQUEUE queue `1000 + hash mod 60000`, the holder thread |
///
/// Whether two faults may be live together on one host: `composition(_:_:)`.
///
/// Cost: apply is one atomic netlink transaction in-process (0.1–2.6 ms p99 on an idle 2-core
/// VM; the delay engine also spawns one `iptables-restore`). Revert is dominated by the
/// kernel: deleting any nf_tables object or net device waits for an RCU grace period
/// (≈ 15–20 ms here); see BENCHMARKS-netshims / docs/benchmarks.md.
///
/// Threads: every call blocks the calling thread for the duration of its netlink round trips. Work inside a target namespace runs on a dedicated pthread that entered
/// it with `setns` (see `NamespaceThread`); no Swift-concurrency thread ever changes namespace.
public protocol NetFaultShim: Sendable {
    associatedtype Spec: Sendable & Codable & Hashable
    associatedtype Undo: Sendable & Codable & Hashable

    /// Validates `spec` and returns the undo record `apply` will produce. Pure.
    func undoRecord(for id: FaultID, spec: Spec) throws -> Undo

    /// Injects the fault. On error nothing of this fault is left in the kernel.
    @discardableResult
    func apply(_ spec: Spec, for id: FaultID) throws -> Undo

    /// Removes what `undo` names. Idempotent; needs no state from `apply`.
    func revert(_ undo: Undo) throws

    /// Whether this host can run the mechanism, probed once per process.
    func availability() -> Availability
}

/// The answer of an availability probe.
public enum Availability: Sendable, Equatable, CustomStringConvertible {
    case available
    /// What is missing, naming the probe call and the kernel's answer, e.g.
    /// "netem: kernel has no sch_netem (RTM_NEWQDISC netem → Object not found)".
    case unavailable(reason: String)

    public var isAvailable: Bool { self == .available }

    public var description: String {
        switch self {
        case .available: return "available"
        case let .unavailable(reason): return "unavailable: \(reason)"
        }
    }
}
