/// Parses Faultline's own history format: JSON Lines, one completed operation per line,
/// after an optional header line. docs/history-format.md documents every field.
public enum FaultlineHistoryParser {
    static let headerKey = "faultline-history"
    static let operationFields: Set<String> = [
        "client", "op", "key", "value", "expected", "outcome", "invoke", "complete", "node", "final",
    ]

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> History {
        var operations: [Operation] = []
        var sawContent = false
        for (number, range) in Lines(bytes: bytes) {
            let line = bytes[range]
            if line.allSatisfy({ $0.isSpaceOrTab }) { continue }
            let object = try JSONLine.parse(line, number: number)
            if let version = object[headerKey] {
                guard !sawContent else {
                    throw ParseError(line: number, "expected the header only as the first line")
                }
                guard version.value == .integer(1) else {
                    throw ParseError(line: number, column: version.column,
                                     "expected format version 1, found \(version.value.typeName)")
                }
                sawContent = true
                continue
            }
            sawContent = true
            operations.append(try operation(object, number: number))
        }
        return History(operations: operations)
    }

    static func operation(_ object: JSONLine, number: Int) throws(ParseError) -> Operation {
        for field in object.fields where !operationFields.contains(field.key) {
            throw ParseError(line: number, column: field.column,
                             "expected only the fields \(operationFields.sorted().joined(separator: ", ")), found '\(field.key)'")
        }
        func required(_ key: String) throws(ParseError) -> (value: JSONLine.Scalar, column: Int) {
            guard let field = object[key] else {
                throw ParseError(line: number, "expected field '\(key)'")
            }
            return field
        }
        func integer(_ key: String) throws(ParseError) -> UInt64 {
            let field = try required(key)
            guard case .integer(let value) = field.value, value >= 0 else {
                throw ParseError(line: number, column: field.column,
                                 "expected '\(key)' to be a non-negative integer, found \(field.value.typeName)")
            }
            return UInt64(value)
        }
        func text(_ field: (value: JSONLine.Scalar, column: Int), _ key: String, nullable: Bool) throws(ParseError) -> String? {
            switch field.value {
            case .string(let value): return value
            case .integer(let value): return String(value)
            case .null where nullable: return nil
            default:
                throw ParseError(line: number, column: field.column,
                                 "expected '\(key)' to be a string or an integer\(nullable ? " or null" : ""), found \(field.value.typeName)")
            }
        }

        let clientField = try required("client")
        guard case .integer(let clientValue) = clientField.value, clientValue >= 0, clientValue <= Int64(Int32.max) else {
            throw ParseError(line: number, column: clientField.column,
                             "expected 'client' to be a non-negative integer, found \(clientField.value.typeName)")
        }
        let opField = try required("op")
        let kind: OperationKind
        switch opField.value {
        case .string("read"), .string("get"): kind = .read
        case .string("write"), .string("put"): kind = .write
        case .string("cas"): kind = .cas
        case .string("append"): kind = .append
        default:
            throw ParseError(line: number, column: opField.column,
                             "expected 'op' to be one of \"read\", \"get\", \"write\", \"put\", \"cas\", \"append\"")
        }
        let outcomeField = try required("outcome")
        guard case .string(let outcomeText) = outcomeField.value, let outcome = Outcome(rawValue: outcomeText) else {
            throw ParseError(line: number, column: outcomeField.column,
                             "expected 'outcome' to be one of \"ok\", \"fail\", \"info\"")
        }
        var key = ""
        if let keyField = object["key"] {
            guard case .string(let value) = keyField.value else {
                throw ParseError(line: number, column: keyField.column,
                                 "expected 'key' to be a string, found \(keyField.value.typeName)")
            }
            key = value
        }
        let invoke = try integer("invoke")
        var completion: UInt64? = nil
        if object["complete"] != nil || outcome != .info {
            let complete = try integer("complete")
            guard complete >= invoke else {
                throw ParseError(line: number, column: object["complete"]!.column,
                                 "expected 'complete' (\(complete)) to be at or after 'invoke' (\(invoke))")
            }
            completion = complete
        }

        var value: String? = nil
        var expected: String? = nil
        switch kind {
        case .read:
            if let field = object["value"] {
                value = try text(field, "value", nullable: true)
            } else if outcome == .ok {
                throw ParseError(line: number, "expected field 'value' (the value read, or null) for an ok read")
            }
        case .write, .append, .cas:
            value = try text(try required("value"), "value", nullable: false)
        }
        if kind == .cas {
            expected = try text(try required("expected"), "expected", nullable: true)
        } else if let field = object["expected"] {
            throw ParseError(line: number, column: field.column, "expected 'expected' only on a cas operation")
        }

        var node: String? = nil
        if let field = object["node"] {
            guard case .string(let value) = field.value else {
                throw ParseError(line: number, column: field.column,
                                 "expected 'node' to be a string, found \(field.value.typeName)")
            }
            node = value
        }
        var isFinal = false
        if let field = object["final"] {
            guard case .bool(let value) = field.value else {
                throw ParseError(line: number, column: field.column,
                                 "expected 'final' to be true or false, found \(field.value.typeName)")
            }
            guard !value || kind == .read else {
                throw ParseError(line: number, column: field.column, "expected 'final' only on a read")
            }
            isFinal = value
        }
        return Operation(client: Int(clientValue), kind: kind, key: key, value: value, expected: expected,
                         outcome: outcome, invoke: invoke, completion: completion, node: node,
                         isFinalRead: isFinal, line: number)
    }
}
