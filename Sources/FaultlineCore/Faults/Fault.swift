/// The closed vocabulary of faults Faultline can inject.
///
/// One value describes *what* happens to a host (the effect and its typed parameters) and
/// *to which traffic or processes* on that host. The same value travels from the plan to
/// the agent: in a plan, peers may still name targets (`PeerRef.target`); the controller
/// resolves them to addresses before the fault leaves for an agent, and agents refuse a
/// fault that still names a target. *How long* a fault lasts is the plan's business
/// (a step's `duration`, an agent's lease), not the fault's.
///
/// On the wire a fault is `{"kind": "<kind>", "parameters": {...}}`.
public enum Fault: Hashable, Sendable {
    case latency(Latency)
    case loss(Loss)
    case duplicate(Duplicate)
    case corrupt(Corrupt)
    case reorder(Reorder)
    case bandwidth(Bandwidth)
    case partition(Partition)
    case kill(Kill)
    case pause(Pause)
    case clock(ClockSkew)

    public var kind: FaultKind {
        switch self {
        case .latency: .latency
        case .loss: .loss
        case .duplicate: .duplicate
        case .corrupt: .corrupt
        case .reorder: .reorder
        case .bandwidth: .bandwidth
        case .partition: .partition
        case .kill: .kill
        case .pause: .pause
        case .clock: .clock
        }
    }

    /// The network filter of a network fault; nil for process and clock faults.
    public var filter: NetworkFilter? {
        switch self {
        case .latency(let f): f.filter
        case .loss(let f): f.filter
        case .duplicate(let f): f.filter
        case .corrupt(let f): f.filter
        case .reorder(let f): f.filter
        case .bandwidth(let f): f.filter
        case .partition(let f): f.filter
        case .kill, .pause, .clock: nil
        }
    }

    /// Problems with the parameters, each naming the field relative to the fault.
    /// Empty when the fault is valid. Plans and the agent API both use this.
    public func problems() -> [FieldProblem] {
        switch self {
        case .latency(let f): f.problems()
        case .loss(let f): f.problems()
        case .duplicate(let f): f.problems()
        case .corrupt(let f): f.problems()
        case .reorder(let f): f.problems()
        case .bandwidth(let f): f.problems()
        case .partition(let f): f.problems()
        case .kill(let f): f.problems()
        case .pause(let f): f.problems()
        case .clock(let f): f.problems()
        }
    }
}

/// The name of each fault kind, as written in plans and on the wire.
public enum FaultKind: String, CaseIterable, Hashable, Sendable, Codable {
    case latency, loss, duplicate, corrupt, reorder, bandwidth, partition, kill, pause, clock

    /// Network faults act on packets; the others act on processes or clocks.
    public var isNetwork: Bool {
        switch self {
        case .latency, .loss, .duplicate, .corrupt, .reorder, .bandwidth, .partition: true
        case .kill, .pause, .clock: false
        }
    }

    /// Whether the fault is instantaneous (nothing to revert, no duration).
    public var isInstant: Bool { self == .kill }
}

/// A problem with one field of a value: a path relative to the value and what was expected.
public struct FieldProblem: Hashable, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(_ field: String, _ message: String) { self.field = field; self.message = message }
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

extension Fault: Codable {
    private enum CodingKeys: String, CodingKey { case kind, parameters }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(FaultKind.self, forKey: .kind)
        switch kind {
        case .latency: self = .latency(try c.decode(Latency.self, forKey: .parameters))
        case .loss: self = .loss(try c.decode(Loss.self, forKey: .parameters))
        case .duplicate: self = .duplicate(try c.decode(Duplicate.self, forKey: .parameters))
        case .corrupt: self = .corrupt(try c.decode(Corrupt.self, forKey: .parameters))
        case .reorder: self = .reorder(try c.decode(Reorder.self, forKey: .parameters))
        case .bandwidth: self = .bandwidth(try c.decode(Bandwidth.self, forKey: .parameters))
        case .partition: self = .partition(try c.decode(Partition.self, forKey: .parameters))
        case .kill: self = .kill(try c.decode(Kill.self, forKey: .parameters))
        case .pause: self = .pause(try c.decode(Pause.self, forKey: .parameters))
        case .clock: self = .clock(try c.decode(ClockSkew.self, forKey: .parameters))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .latency(let f): try c.encode(f, forKey: .parameters)
        case .loss(let f): try c.encode(f, forKey: .parameters)
        case .duplicate(let f): try c.encode(f, forKey: .parameters)
        case .corrupt(let f): try c.encode(f, forKey: .parameters)
        case .reorder(let f): try c.encode(f, forKey: .parameters)
        case .bandwidth(let f): try c.encode(f, forKey: .parameters)
        case .partition(let f): try c.encode(f, forKey: .parameters)
        case .kill(let f): try c.encode(f, forKey: .parameters)
        case .pause(let f): try c.encode(f, forKey: .parameters)
        case .clock(let f): try c.encode(f, forKey: .parameters)
        }
    }
}
