import FaultlineNetShims
import FaultlineProcShims
import Foundation

/// What the agent writes to its ledger before touching the kernel: the mechanism that
/// carries the fault and that mechanism's own undo record. A fresh agent process reverts
/// from this value alone.
public enum ShimUndo: Sendable, Codable, Equatable {
    case partition(NFTablesUndo)
    case loss(NFTablesUndo)
    case delay(DelayEngineUndo)
    case netem(TrafficControlUndo)
    case bandwidth(TrafficControlUndo)
    /// Nothing to undo in the kernel; the agent's configured restart command for each of
    /// `names` is run for targets that are dead when the fault is reverted. The command
    /// itself is never in the ledger: a record only names the process, and the agent's
    /// configuration decides what runs (a crafted ledger must not choose argv run as root).
    case kill(KillFault.Undo, names: [String])
    case pauseSignal(SignalPause.Undo)
    case pauseFreezer(CgroupFreezePause.Undo)
    /// One vDSO patch per target process; `strobe` when the offset alternates.
    case clockProcess([VDSOClockSkew.Undo], strobe: StrobeSpec?)
    case clockHost(HostClockStep.Undo)

    public struct StrobeSpec: Sendable, Codable, Equatable {
        public var first: Duration
        public var second: Duration
        public var interval: Duration
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(self)
    }

    static func decode(_ data: Data) throws -> ShimUndo { try JSONDecoder().decode(ShimUndo.self, from: data) }

    /// The same record acting in `namespace`, the agent's configured one: the namespace a
    /// revert enters comes from the configuration, not from what a ledger line says.
    func confined(to namespace: NetNamespace?) -> ShimUndo {
        switch self {
        case .partition(var u): u.namespace = namespace; return .partition(u)
        case .loss(var u): u.namespace = namespace; return .loss(u)
        case .delay(var u): u.namespace = namespace; return .delay(u)
        case .netem(var u): u.namespace = namespace; return .netem(u)
        case .bandwidth(var u): u.namespace = namespace; return .bandwidth(u)
        case .kill, .pauseSignal, .pauseFreezer, .clockProcess, .clockHost: return self
        }
    }
}
