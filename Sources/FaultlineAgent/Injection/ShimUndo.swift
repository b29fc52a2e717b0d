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
    /// Nothing to undo in the kernel; `restart` (from the agent's policy, by process name)
    /// is run for targets that are dead when the fault is reverted.
    case kill(KillFault.Undo, names: [String], restart: [String: [String]])
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
}
