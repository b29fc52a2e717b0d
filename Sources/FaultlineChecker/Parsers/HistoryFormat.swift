/// The history formats the checker reads, and detection from the first line.
public enum HistoryFormat: String, Sendable, CaseIterable {
    /// Faultline's JSON Lines (docs/history-format.md).
    case faultline
    /// Porcupine's key-value logs (EDN maps).
    case porcupineKV = "porcupine-kv"
    /// Jepsen etcd register logs, as in Porcupine's test data.
    case jepsenEtcd = "jepsen-etcd"

    /// Detects the format from the first non-blank line: `{"` is Faultline's, `{:` is
    /// Porcupine's kv, `INFO` is a Jepsen log. Empty input is an empty Faultline history.
    public static func detect(_ bytes: [UInt8]) throws(ParseError) -> HistoryFormat {
        for (number, range) in Lines(bytes: bytes) {
            var line = bytes[range]
            while let first = line.first, first.isSpaceOrTab { line = line.dropFirst() }
            if line.isEmpty { continue }
            if line.starts(with: Array("{\"".utf8)) || line.elementsEqual("{}".utf8) { return .faultline }
            if line.starts(with: Array("{:".utf8)) { return .porcupineKV }
            if line.starts(with: Array("INFO".utf8)) { return .jepsenEtcd }
            throw ParseError(line: number, column: 1,
                             "expected a history line: a JSON object ({\"client\": …}), a Porcupine kv map ({:process …}) or a Jepsen log line (INFO  jepsen.util - …), found \(quoted(line))")
        }
        return .faultline
    }

    /// Parses `bytes` in this format.
    public func parse(_ bytes: [UInt8]) throws(ParseError) -> History {
        switch self {
        case .faultline: return try FaultlineHistoryParser.parse(bytes)
        case .porcupineKV: return try PorcupineKVParser.parse(bytes)
        case .jepsenEtcd: return try JepsenEtcdParser.parse(bytes)
        }
    }

    /// Detects the format (unless given) and parses.
    public static func parse(_ bytes: [UInt8], format: HistoryFormat? = nil) throws(ParseError) -> History {
        let chosen: HistoryFormat
        if let format { chosen = format } else { chosen = try detect(bytes) }
        return try chosen.parse(bytes)
    }
}
