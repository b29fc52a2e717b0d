import FaultlineCore

/// One step of a plan's method or rollbacks.
public struct Step: Sendable, Hashable {
    public var name: String?
    public var kind: Kind
    public var mark: Mark
    /// The step's field path in the plan, e.g. `method[2]`.
    public var path: String

    public indirect enum Kind: Sendable, Hashable {
        case fault(FaultStep)
        /// Wait; `pause: 5s`.
        case wait(TimeSpan)
        case sequence([Step])
        case parallel([Step])
        /// Run `steps` `times` times; with `every`, iterations start that far apart.
        case repeatSteps(times: Int, every: TimeSpan?, steps: [Step])
        /// An action on the controller host: a command or an HTTP call.
        case action(Action)
    }
}

/// A fault to apply on a target's hosts for a duration.
public struct FaultStep: Sendable, Hashable {
    public var fault: Fault
    /// The target whose hosts get the fault; nil for partitions (their topology names targets).
    public var target: String?
    /// nil only for instant faults (kill).
    public var duration: TimeSpan?
}

/// Something the controller does itself: run a program or call a URL.
public enum Action: Sendable, Hashable {
    case command(argv: [String], timeout: TimeSpan?)
    case http(url: String, method: String, body: String?, timeout: TimeSpan?)
}
