/// Writes a history in Faultline's own format (header line, then one operation per line),
/// the inverse of `FaultlineHistoryParser`.
public enum FaultlineHistoryWriter {
    public static func write(_ history: History) -> String {
        var text = "{\"faultline-history\":1,\"clock\":\"monotonic-ns\"}\n"
        for operation in history.operations {
            text += line(operation)
            text += "\n"
        }
        return text
    }

    public static func line(_ operation: Operation) -> String {
        let op = switch operation.kind {
        case .read: "read"
        case .write: "write"
        case .cas: "cas"
        case .append: "append"
        }
        var text = "{\"client\":\(operation.client),\"op\":\"\(op)\""
        if !operation.key.isEmpty { text += ",\"key\":\(json(operation.key))" }
        if operation.kind != .read || operation.outcome == .ok || operation.value != nil {
            text += ",\"value\":\(json(operation.value))"
        }
        if operation.kind == .cas { text += ",\"expected\":\(json(operation.expected))" }
        text += ",\"outcome\":\"\(operation.outcome.rawValue)\",\"invoke\":\(operation.invoke)"
        if let completion = operation.completion { text += ",\"complete\":\(completion)" }
        if let node = operation.node { text += ",\"node\":\(json(node))" }
        if operation.isFinalRead { text += ",\"final\":true" }
        text += "}"
        return text
    }

    static func json(_ value: String?) -> String {
        guard let value else { return "null" }
        var out = "\""
        for scalar in value.unicodeScalars {
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
}
