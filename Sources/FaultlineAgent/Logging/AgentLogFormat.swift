import Logging

/// `log-format` in the agent's configuration (`--log-format` on its command line).
public enum AgentLogFormat: String, Sendable, Hashable, CaseIterable {
    /// `2026-12-03T13:30:22.123Z notice revert id=… result=reverted`: for a terminal and journald.
    case text
    /// One JSON object a line: `{"ts","level","label","message", metadata…}`: for Loki, Elasticsearch, jq.
    case json

    /// The value or an error naming what is accepted.
    public static func parse(_ text: String) -> Result<AgentLogFormat, ValueError> {
        guard let format = AgentLogFormat(rawValue: text) else {
            return .failure(ValueError(description: "'\(text)' is not a log format; expected one of \(allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        return .success(format)
    }

    public struct ValueError: Error, CustomStringConvertible, Sendable { public var description: String }
}

extension Logger.Level {
    /// `log-level` in the agent's configuration (`--log-level`): trace … critical.
    public static func parse(_ text: String) -> Result<Logger.Level, AgentLogFormat.ValueError> {
        guard let level = Logger.Level(rawValue: text) else {
            return .failure(.init(description: "'\(text)' is not a log level; expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        return .success(level)
    }
}
