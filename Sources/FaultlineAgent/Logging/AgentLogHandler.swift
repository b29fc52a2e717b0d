#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The agent's `LogHandler`: one line per record, text or JSON, handed to `output` (the
/// daemon's is `StandardErrorWriter`, which never blocks the caller).
///
/// Formatting is done here by hand (timestamp from `clock_gettime`/`gmtime_r`, JSON
/// escaping): Foundation's date formatting loads ICU, which an idle agent should not
/// carry for a timestamp (see docs/benchmarks.md, "Agent footprint").
public struct AgentLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: AgentLogFormat
    let output: @Sendable ([UInt8]) -> Void

    public init(label: String, level: Logger.Level, format: AgentLogFormat,
                output: @escaping @Sendable ([UInt8]) -> Void = { StandardErrorWriter.standardError.write($0) }) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        if let error = event.error { all["error"] = .string("\(error)") }
        output(Array(Self.line(format: format, timestamp: Self.now(), level: event.level, label: label,
                               message: event.message.description, metadata: all).utf8))
    }

    /// One record, newline-terminated. Metadata keys come sorted (stable lines to diff and
    /// grep); in JSON, a metadata key named like a fixed field is prefixed with `meta_`.
    static func line(format: AgentLogFormat, timestamp: String, level: Logger.Level, label: String,
                     message: String, metadata: Logger.Metadata) -> String {
        let keys = metadata.keys.sorted()
        switch format {
        case .text:
            var out = "\(timestamp) \(level.rawValue) \(message)"
            for key in keys { out += " \(key)=\(metadata[key]!)" }
            return out + "\n"
        case .json:
            var out = "{\"ts\":\(quoted(timestamp)),\"level\":\(quoted(level.rawValue)),\"label\":\(quoted(label)),\"message\":\(quoted(message))"
            for key in keys {
                let name = ["ts", "level", "label", "message"].contains(key) ? "meta_" + key : key
                out += ",\(quoted(name)):\(json(metadata[key]!))"
            }
            return out + "}\n"
        }
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return quoted(s)
        case .stringConvertible(let c): return quoted(c.description)
        case .array(let items): return "[" + items.map(json).joined(separator: ",") + "]"
        case .dictionary(let map): return "{" + map.keys.sorted().map { "\(quoted($0)):\(json(map[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259: quote, backslash and control characters escaped).
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Now as RFC 3339 in UTC with milliseconds: `2026-12-03T13:30:22.123Z`.
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return rfc3339(seconds: spec.tv_sec, milliseconds: Int(spec.tv_nsec / 1_000_000))
    }

    static func rfc3339(seconds: Int, milliseconds: Int) -> String {
        var time = seconds
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }
}
