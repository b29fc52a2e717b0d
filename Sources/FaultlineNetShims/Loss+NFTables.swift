/// Packet loss: drop a percentage of inbound packets from a set of peers, with nftables'
/// `numgen random mod 10000 < N drop` (N in hundredths of a percent, see
/// `NFTablesRuleset.lossSample`), or a plain `drop` at 100 %.
///
/// nftables can drop but not duplicate, corrupt or reorder; those belong to netem
/// (`NetemShim`) or the delay engine (`DelayEngineShim`).
public struct LossSpec: Sendable, Codable, Hashable {
    public var namespace: NetNamespace?
    public var match: InboundMatch
    public var exemptions: [ManagementExemption]
    /// 0 < percent ≤ 100, resolution 0.01.
    public var percent: Double

    public init(namespace: NetNamespace? = nil, match: InboundMatch,
                exemptions: [ManagementExemption], percent: Double) {
        self.namespace = namespace
        self.match = match
        self.exemptions = exemptions
        self.percent = percent
    }
}

public struct LossShim: NetFaultShim {
    public init() {}

    public func undoRecord(for id: FaultID, spec: LossSpec) throws -> NFTablesUndo {
        try spec.namespace?.validate()
        try spec.match.validate()
        try spec.exemptions.forEach { try $0.validate() }
        guard spec.percent > 0, spec.percent <= 100, (spec.percent * 100).rounded() >= 1 else {
            throw NetShimError.invalidSpec("loss percent \(spec.percent) must be in (0, 100] with resolution 0.01")
        }
        return NFTablesUndo(id: id, namespace: spec.namespace)
    }

    public func batch(for id: FaultID, spec: LossSpec, replacing: Bool = true) throws -> String {
        let undo = try undoRecord(for: id, spec: spec)
        let statement = NFTablesRuleset.lossStatement(percent: spec.percent)
        return NFTablesRuleset.batch(table: undo.table, match: spec.match,
                                     exemptions: spec.exemptions, dropStatement: statement, replacing: replacing)
    }

    @discardableResult
    public func apply(_ spec: LossSpec, for id: FaultID) throws -> NFTablesUndo {
        let undo = try undoRecord(for: id, spec: spec)
        let create = try batch(for: id, spec: spec, replacing: false)
        let replace = try batch(for: id, spec: spec, replacing: true)
        try undo.apply { $0 ? replace : create }
        return undo
    }

    public func revert(_ undo: NFTablesUndo) throws {
        try undo.revert()
    }

    public func availability() -> Availability { Self.probed }

    private static let probed: Availability = NFTablesProbe.run(
        mechanism: "loss", statement: "numgen random mod 10000 < 5000 drop")
}
