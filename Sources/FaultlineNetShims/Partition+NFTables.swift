/// Network partition: drop inbound packets from a set of peers, with nftables.
///
/// One table `inet fl_<id>` in the target namespace; heal deletes it. Two-way partitions are
/// one fault on each side; see `InboundMatch` for why drops are inbound only.
public struct PartitionSpec: Sendable, Codable, Hashable {
    public var namespace: NetNamespace?
    public var match: InboundMatch
    /// Never dropped, whatever `match` says (controller address, agent port).
    public var exemptions: [ManagementExemption]

    public init(namespace: NetNamespace? = nil, match: InboundMatch,
                exemptions: [ManagementExemption]) {
        self.namespace = namespace
        self.match = match
        self.exemptions = exemptions
    }
}

public struct PartitionShim: NetFaultShim {
    public init() {}

    public func undoRecord(for id: FaultID, spec: PartitionSpec) throws -> NFTablesUndo {
        try spec.namespace?.validate()
        try spec.match.validate()
        try spec.exemptions.forEach { try $0.validate() }
        return NFTablesUndo(id: id, namespace: spec.namespace)
    }

    /// The exact nftables batch `apply` runs (pure; shown in logs and tests).
    public func batch(for id: FaultID, spec: PartitionSpec, replacing: Bool = true) throws -> String {
        let undo = try undoRecord(for: id, spec: spec)
        return NFTablesRuleset.batch(table: undo.table, match: spec.match,
                                     exemptions: spec.exemptions, dropStatement: "drop", replacing: replacing)
    }

    @discardableResult
    public func apply(_ spec: PartitionSpec, for id: FaultID) throws -> NFTablesUndo {
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
        mechanism: "partition", statement: "drop")
}

/// Availability probe shared by the nftables shims: applies a real table with the fault's
/// statement in a scratch namespace and deletes it.
enum NFTablesProbe {
    static func run(mechanism: String, statement: String) -> Availability {
        let batch = NFTablesRuleset.batch(
            table: "fl_probe", match: InboundMatch(peers: [try! IPNetwork("192.0.2.1")]),
            exemptions: [], dropStatement: statement)
        do {
            try NamespaceThread.run(in: .scratch) {
                try NFTables.run(batch)
                try NFTables.run("delete table inet fl_probe\n")
            }
            return .available
        } catch {
            return .unavailable(reason: "\(mechanism): nftables batch with '\(statement)' failed in a scratch namespace: \(error)")
        }
    }
}
