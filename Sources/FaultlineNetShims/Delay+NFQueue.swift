#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Packet delay (± jitter, with loss and duplication) for kernels without netem: iptables
/// `NFQUEUE --queue-bypass` in a chain of our own, plus a userspace holder (`DelayEngine`).
///
/// Packets are held on the RECEIVING side, in the `mangle PREROUTING` hook of the namespace
/// the fault is applied in: delaying in the sender's OUTPUT hook collapses TCP (TCP small
/// queues; 0.54 Mbit/s at 50 ms, KERNEL.md). A symmetric delay is one fault on each side.
/// IPv4 only (the rules are iptables', not ip6tables').
///
/// Why iptables by argv: see `IPTables`. The rules are written with one `iptables-restore
/// --noflush` batch (atomic, touches only the chain it names) from a thread inside the target
/// namespace. The jump from `PREROUTING` is inserted first in that chain.
///
/// Revert needs no iptables at all (so crash recovery works with only libnftables): iptables-nft
/// keeps its rules as ordinary nftables objects, so one libnftables batch deletes our jump
/// rules by handle and our chain — or, when nothing else is left in iptables-nft's
/// `table ip mangle`, the whole table, which iptables-nft would otherwise leave behind empty
/// (see `MangleTableCleanup`). Either way `nft list tables` is as before the fault.
public struct DelayEngineSpec: Sendable, Codable, Hashable {
    public var namespace: NetNamespace?
    /// Which inbound packets are held (IPv4 peers only).
    public var match: InboundMatch
    public var exemptions: [ManagementExemption]
    public var delay: Duration
    /// Uniform ± jitter around `delay`.
    public var jitter: Duration
    /// Correlation of successive jitter samples, 0...100 %.
    public var correlationPercent: Double
    public var lossPercent: Double
    public var duplicatePercent: Double
    /// Seed of the sampler, so a run can be replayed; nil derives it from the fault id.
    public var seed: UInt64?

    public init(namespace: NetNamespace? = nil, match: InboundMatch, exemptions: [ManagementExemption],
                delay: Duration, jitter: Duration = .zero, correlationPercent: Double = 0,
                lossPercent: Double = 0, duplicatePercent: Double = 0, seed: UInt64? = nil) {
        self.namespace = namespace
        self.match = match
        self.exemptions = exemptions
        self.delay = delay
        self.jitter = jitter
        self.correlationPercent = correlationPercent
        self.lossPercent = lossPercent
        self.duplicatePercent = duplicatePercent
        self.seed = seed
    }
}

/// What the delay engine leaves in the kernel, and so what revert removes.
public struct DelayEngineUndo: Sendable, Codable, Hashable {
    public var namespace: NetNamespace?
    /// Always `mangle`.
    public var table: String
    /// `FL-<8 hex digits of the fault id's hash>` (iptables chain names are at most 28 chars).
    public var chain: String
    /// The built-in chain holding the jump: `PREROUTING`.
    public var hookChain: String
    /// NFQUEUE queue number: 1000 + hash mod 60000, per namespace.
    public var queueNumber: UInt16
    public var faultID: FaultID
}

public final class DelayEngineShim: NetFaultShim {
    private let engines = Mutex<[FaultID: DelayEngine]>([:])
    private let recordAccuracy: Bool

    /// `recordAccuracy` keeps (requested, held) samples per packet for tests and benchmarks.
    public init(recordAccuracy: Bool = false) {
        self.recordAccuracy = recordAccuracy
    }

    public func undoRecord(for id: FaultID, spec: DelayEngineSpec) throws -> DelayEngineUndo {
        try spec.namespace?.validate()
        try spec.match.validate()
        try spec.exemptions.forEach { try $0.validate() }
        if spec.match.peers.contains(where: { $0.family != .ipv4 })
            || spec.exemptions.contains(where: { $0.address?.family == .ipv6 }) {
            throw NetShimError.invalidSpec("the delay engine handles IPv4 peers only")
        }
        guard spec.delay >= .zero, spec.jitter >= .zero, spec.delay < .seconds(60) else {
            throw NetShimError.invalidSpec("delay must be in [0, 60 s) and jitter ≥ 0")
        }
        for (name, value) in [("correlation", spec.correlationPercent), ("loss", spec.lossPercent),
                              ("duplicate", spec.duplicatePercent)] where !(0...100).contains(value) {
            throw NetShimError.invalidSpec("\(name) percent \(value) must be in [0, 100]")
        }
        let hash = id.stableHash
        return DelayEngineUndo(namespace: spec.namespace, table: "mangle", chain: "FL-\(hash.hex8)",
                               hookChain: "PREROUTING", queueNumber: UInt16(1000 + hash % 60000),
                               faultID: id)
    }

    /// The iptables-restore script `apply` runs (pure).
    public func rulesScript(for id: FaultID, spec: DelayEngineSpec) throws -> String {
        let undo = try undoRecord(for: id, spec: spec)
        var lines = ["*\(undo.table)", ":\(undo.chain) - [0:0]", "-A \(undo.chain) -i lo -j RETURN"]
        for exemption in spec.exemptions {
            let source = exemption.address.map { " -s \($0)" } ?? ""
            if let port = exemption.port {
                // The controller calling the agent's port, exactly (see NFTablesRuleset.exemptionRules).
                lines.append("-A \(undo.chain)\(source) -p tcp --dport \(port) -j RETURN")
            } else {
                lines.append("-A \(undo.chain)\(source) -j RETURN")
            }
        }
        let source = spec.match.peers.isEmpty ? "" : " -s " + spec.match.peers.map(\.description).joined(separator: ",")
        let target = "-j NFQUEUE --queue-num \(undo.queueNumber) --queue-bypass"
        let ports = spec.match.ports.isEmpty ? "" : " -m multiport --ports " + spec.match.ports.map(String.init).joined(separator: ",")
        switch spec.match.transport {
        case .all where spec.match.ports.isEmpty:
            lines.append("-A \(undo.chain)\(source) \(target)")
        case .all:
            lines.append("-A \(undo.chain)\(source) -p tcp\(ports) \(target)")
            lines.append("-A \(undo.chain)\(source) -p udp\(ports) \(target)")
        case .tcp, .udp, .icmp:
            lines.append("-A \(undo.chain)\(source) -p \(spec.match.transport.rawValue)\(ports) \(target)")
        }
        lines.append("-I \(undo.hookChain) 1 -j \(undo.chain)")
        lines.append("COMMIT")
        return lines.joined(separator: "\n") + "\n"
    }

    @discardableResult
    public func apply(_ spec: DelayEngineSpec, for id: FaultID) throws -> DelayEngineUndo {
        let undo = try undoRecord(for: id, spec: spec)
        let script = try rulesScript(for: id, spec: spec)
        // Re-applying the same id replaces it: stop our engine, remove our rules.
        try revert(undo)
        let sampler = DelaySampler(delay: spec.delay, jitter: spec.jitter,
                                   correlationPercent: spec.correlationPercent,
                                   lossPercent: spec.lossPercent, duplicatePercent: spec.duplicatePercent,
                                   seed: spec.seed ?? UInt64(id.stableHash))
        let engine = DelayEngine(queueNumber: undo.queueNumber, place: .init(spec.namespace),
                                 sampler: sampler, recordAccuracy: recordAccuracy)
        // Bind the queue before any rule sends packets to it.
        try engine.start()
        do {
            try NamespaceThread.run(in: .init(spec.namespace)) { try IPTables.restore(script) }
        } catch {
            engine.stop()
            try? revertRules(undo)
            throw error
        }
        engines.withLock { $0[id] = engine }
        return undo
    }

    public func revert(_ undo: DelayEngineUndo) throws {
        // Rules first, so no new packet is queued; then release what the engine holds.
        try revertRules(undo)
        let engine = engines.withLock { $0.removeValue(forKey: undo.faultID) }
        engine?.stop()
    }

    /// Statistics of the running engine of `id` in this process (nil if none).
    func statistics(of id: FaultID) -> DelayEngine.Statistics? {
        engines.withLock { $0[id] }?.statistics
    }

    /// Accuracy samples of the running engine of `id` (with `recordAccuracy`).
    public func accuracySamples(of id: FaultID) -> [(requested: Duration, held: Duration)] {
        (engines.withLock { $0[id] }?.accuracy ?? []).map {
            (.nanoseconds(Int64($0.requestedNanoseconds)), .nanoseconds(Int64($0.heldNanoseconds)))
        }
    }

    /// Stops the engine of `id` without touching the rules, as if this process had died
    /// (tests of `--queue-bypass`). The undo record still reverts the rules afterwards.
    func killEngineForTest(_ id: FaultID) {
        engines.withLock { $0.removeValue(forKey: id) }?.stop()
    }

    private func revertRules(_ undo: DelayEngineUndo) throws {
        do {
            try NamespaceThread.run(in: .init(undo.namespace)) {
                guard let commands = try MangleTableCleanup.revertBatch(undo) else { return }
                try NFTables.run(commands)
            }
        } catch NetShimError.syscall(let call, ENOENT) where call.hasPrefix("open(") {
            return  // the namespace is gone, and with it the rules
        }
    }

    public func availability() -> Availability { Self.probed }

    private static let probed: Availability = {
        guard IPTables.binary != nil else {
            return .unavailable(reason: "delay engine: iptables binary not found (needed for the xt NFQUEUE target)")
        }
        do {
            try NamespaceThread.run(in: .scratch) {
                guard let handle = nfqProbeOpen() else {
                    throw NetShimError.lastErrno("nfq_open")
                }
                defer { nfqProbeClose(handle) }
                // The engine re-sends delayed packets through a raw socket (CAP_NET_RAW):
                // without it every apply would fail, so say so here.
                let raw = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
                guard raw >= 0 else { throw NetShimError.lastErrno("socket(AF_INET, SOCK_RAW, IPPROTO_RAW) (needs CAP_NET_RAW)") }
                close(raw)
                try IPTables.restore("*mangle\n:FL-probe - [0:0]\n-A FL-probe -j NFQUEUE --queue-num 1 --queue-bypass\nCOMMIT\n")
            }
            return .available
        } catch {
            return .unavailable(reason: "delay engine: probe in a scratch namespace failed: \(error)")
        }
    }()
}

