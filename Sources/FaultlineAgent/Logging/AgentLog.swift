import Logging

/// The agent's log, through swift-log: one record per event, at a level, formatted by
/// `AgentLogHandler` (text or JSON) on stderr. journald and `kubectl logs` add their own
/// metadata. The audit trail (every call with its peer and caller, every apply and
/// revert) is records at `info` and `notice`, so `log-level: warning` silences it —
/// docs/agent-api.md says which level each record has.
public struct AgentLog: Sendable {
    public var logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// The daemon's: stderr through `StandardErrorWriter`, at `level`, in `format`.
    public init(level: Logger.Level = .info, format: AgentLogFormat = .text) {
        logger = Logger(label: "faultline-agent") { label in AgentLogHandler(label: label, level: level, format: format) }
    }

    /// Every record as a text line to `capture` (in-process tests).
    public init(level: Logger.Level = .info, capture: @escaping @Sendable (String) -> Void) {
        logger = Logger(label: "faultline-agent") { label in
            AgentLogHandler(label: label, level: level, format: .text) { capture(String(decoding: $0, as: UTF8.self)) }
        }
    }

    public func trace(_ text: @autoclosure () -> String) { logger.trace("\(text())") }
    public func debug(_ text: @autoclosure () -> String) { logger.debug("\(text())") }
    public func info(_ text: @autoclosure () -> String) { logger.info("\(text())") }
    /// Audit records of what changed on the host (applies, reverts, recovery, refusals).
    public func notice(_ text: @autoclosure () -> String) { logger.notice("\(text())") }
    public func warning(_ text: @autoclosure () -> String) { logger.warning("\(text())") }
    public func error(_ text: @autoclosure () -> String) { logger.error("\(text())") }

    /// Records at `level` (the throttle picks it per kind of event).
    public func log(_ level: Logger.Level, _ text: @autoclosure () -> String) { logger.log(level: level, "\(text())") }
}
