/// One process, named so that pid reuse cannot redirect a fault.
///
/// `startTime` is field 22 of /proc/PID/stat (clock ticks after boot). A pid together with
/// its start time names exactly one process for the life of the host: a new process that
/// gets the same pid has a later start time. Every mechanism checks it before it signals,
/// freezes or patches anything, and every `Undo` records it.
public struct ProcessIdentity: Hashable, Sendable, Codable, CustomStringConvertible {
    public var pid: Int32
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    public var description: String { "pid \(pid) (start \(startTime))" }
}

/// What /proc says about a recorded identity now.
public enum ProcessLiveness: Equatable, Sendable {
    /// Same pid, same start time. A zombie still counts as alive here; see `ProcStat.isZombie`.
    case alive(ProcStat)
    /// No such pid any more.
    case gone
    /// The pid belongs to a newer process.
    case reused(actualStartTime: UInt64)
}
