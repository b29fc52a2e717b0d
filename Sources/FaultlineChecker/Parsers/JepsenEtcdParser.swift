/// Parses Jepsen etcd register logs as Porcupine's test data has them
/// (`INFO  jepsen.util - <process> <type> <f> <value>`; see docs/history-format.md and
/// Porcupine's FORMATS.md). One register, key `""`, values kept as their decimal text.
///
/// There are no timestamps: the line number is the time. Treatment, as Porcupine's:
/// `:fail :read` has no effect (outcome fail); `:fail :cas` is "the register did not hold
/// old" (outcome fail, kept as a constraint); `:info`, and an invoke never completed, is
/// indeterminate (outcome info).
public enum JepsenEtcdParser {
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> History {
        var operations: [Operation] = []
        var pending: [Int: (index: Int, line: Int)] = [:]
        for (number, range) in Lines(bytes: bytes) {
            let line = bytes[range]
            if line.allSatisfy(\.isSpaceOrTab) { continue }
            let event = try parseLine(line, number: number)
            if event.type == .invoke {
                if let open = pending[event.process] {
                    throw ParseError(line: number, "expected a completion for process \(event.process), which has an operation outstanding since line \(open.line), found another ':invoke'")
                }
                var operation = Operation(client: event.process, kind: event.f, outcome: .info,
                                          invoke: UInt64(number), completion: nil, line: number)
                switch event.f {
                case .read: break
                case .write: operation.value = event.value.first ?? nil
                case .cas: operation.expected = event.value[0]; operation.value = event.value[1]
                case .append: break
                }
                pending[event.process] = (operations.count, number)
                operations.append(operation)
                continue
            }
            guard let open = pending.removeValue(forKey: event.process) else {
                throw ParseError(line: number, "expected ':invoke' for process \(event.process) before its completion ':\(event.type.rawValue)'")
            }
            let invoked = operations[open.index]
            guard invoked.kind == event.f else {
                throw ParseError(line: number, "expected ':\(keyword(invoked.kind))' to complete the ':invoke' of process \(event.process) on line \(open.line), found ':\(keyword(event.f))'")
            }
            switch event.type {
            case .ok:
                operations[open.index].outcome = .ok
                operations[open.index].completion = UInt64(number)
                if event.f == .read { operations[open.index].value = event.value.first ?? nil }
            case .fail:
                operations[open.index].outcome = .fail
                operations[open.index].completion = UInt64(number)
            case .info, .invoke:
                break   // stays indeterminate
            }
        }
        return History(operations: operations)
    }

    enum EventType: String { case invoke, ok, fail, info }

    struct Event {
        var process: Int
        var type: EventType
        var f: OperationKind
        var value: [String?]
    }

    static func keyword(_ kind: OperationKind) -> String {
        kind.rawValue
    }

    static func parseLine(_ line: ArraySlice<UInt8>, number: Int) throws(ParseError) -> Event {
        var cursor = line.startIndex
        let base = line.startIndex
        func column() -> Int { cursor - base + 1 }
        func skipSpaces() { while cursor < line.endIndex && line[cursor].isSpaceOrTab { cursor += 1 } }
        func word() -> ArraySlice<UInt8> {
            let start = cursor
            while cursor < line.endIndex && !line[cursor].isSpaceOrTab { cursor += 1 }
            return line[start..<cursor]
        }
        func expectLiteral(_ text: String, _ what: String) throws(ParseError) {
            let start = column()
            let found = word()
            guard found.elementsEqual(text.utf8) else {
                throw ParseError(line: number, column: start, "expected \(what), found \(quoted(found))")
            }
            guard cursor < line.endIndex, line[cursor].isSpaceOrTab else {
                throw ParseError(line: number, column: column(), "expected whitespace after '\(text)'")
            }
            skipSpaces()
        }
        try expectLiteral("INFO", "'INFO' (a Jepsen log line: INFO  jepsen.util - <process> <type> <f> <value>)")
        try expectLiteral("jepsen.util", "'jepsen.util'")
        try expectLiteral("-", "'-'")

        let processColumn = column()
        let processText = word()
        guard !processText.isEmpty, processText.count <= 9, processText.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw ParseError(line: number, column: processColumn, "expected a process number, found \(quoted(processText))")
        }
        let process = Int(String(decoding: processText, as: UTF8.self))!
        skipSpaces()

        let typeColumn = column()
        let typeText = word()
        guard typeText.first == UInt8(ascii: ":"),
              let type = EventType(rawValue: String(decoding: typeText.dropFirst(), as: UTF8.self)) else {
            throw ParseError(line: number, column: typeColumn, "expected an event type (:invoke, :ok, :fail or :info), found \(quoted(typeText))")
        }
        skipSpaces()

        let fColumn = column()
        let fText = word()
        let f: OperationKind
        switch String(decoding: fText, as: UTF8.self) {
        case ":read": f = .read
        case ":write": f = .write
        case ":cas": f = .cas
        default:
            throw ParseError(line: number, column: fColumn, "expected an operation (:read, :write or :cas), found \(quoted(fText))")
        }
        skipSpaces()

        let valueColumn = column()
        var end = line.endIndex
        while end > cursor && line[end - 1].isSpaceOrTab { end -= 1 }
        let valueText = String(decoding: line[cursor..<end], as: UTF8.self)
        func fail(_ expected: String) -> ParseError {
            ParseError(line: number, column: valueColumn,
                       "expected \(expected) after ':\(type.rawValue) :\(f.rawValue)', found '\(valueText)'")
        }
        var value: [String?] = []
        switch (type, f) {
        case (.info, _), (.fail, .read), (.fail, .write):
            break   // `:timed-out` or an echo: carries no information
        case (.invoke, .read):
            guard valueText == "nil" else { throw fail("nil") }
        case (.ok, .read):
            if valueText == "nil" {
                value = [nil]
            } else {
                guard let integer = integerText(valueText) else { throw fail("an integer or nil") }
                value = [integer]
            }
        case (_, .write):
            guard let integer = integerText(valueText) else { throw fail("an integer") }
            value = [integer]
        case (_, .cas):
            guard let pair = casPair(valueText) else { throw fail("[old new], two integers in brackets") }
            value = [pair.0, pair.1]
        default:
            break
        }
        return Event(process: process, type: type, f: f, value: value)
    }

    static func integerText(_ text: String) -> String? {
        guard let integer = Int(text) else { return nil }
        return String(integer)
    }

    static func casPair(_ text: String) -> (String, String)? {
        guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
        let parts = text.dropFirst().dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2, let old = integerText(String(parts[0])),
              let new = integerText(String(parts[1])) else { return nil }
        return (old, new)
    }
}
