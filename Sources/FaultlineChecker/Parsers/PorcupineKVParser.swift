/// Parses Porcupine's key-value logs (`test_data/kv/cNN-*.txt`): one EDN map per line,
/// `{:process <int>, :type <:invoke|:ok>, :f <:get|:put|:append>, :key "<k>", :value <nil|"v">}`.
///
/// No timestamps: the line number is the time. As Porcupine does, the key and argument come
/// from the invoke line and only a get's result from the completion line. `:fail` and `:info`
/// completions are accepted with Jepsen's meaning although the data has none, and an invoke
/// never completed is indeterminate.
public enum PorcupineKVParser {
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> History {
        var operations: [Operation] = []
        var pending: [Int: (index: Int, line: Int)] = [:]
        for (number, range) in Lines(bytes: bytes) {
            let line = bytes[range]
            if line.allSatisfy(\.isSpaceOrTab) { continue }
            let event = try parseLine(line, number: number)
            if event.type == "invoke" {
                if let open = pending[event.process] {
                    throw ParseError(line: number, "expected a completion for process \(event.process), which has an operation outstanding since line \(open.line), found another :invoke")
                }
                if event.f != .read && event.value == nil {
                    throw ParseError(line: number, "expected a string :value for :\(name(event.f)), found nil")
                }
                pending[event.process] = (operations.count, number)
                operations.append(Operation(client: event.process, kind: event.f, key: event.key,
                                            value: event.f == .read ? nil : event.value, outcome: .info,
                                            invoke: UInt64(number), completion: nil, line: number))
                continue
            }
            guard let open = pending.removeValue(forKey: event.process) else {
                throw ParseError(line: number, "expected :invoke for process \(event.process) before its completion :\(event.type)")
            }
            guard operations[open.index].kind == event.f else {
                throw ParseError(line: number, "expected :f :\(name(operations[open.index].kind)) to complete the :invoke of process \(event.process) on line \(open.line), found :\(name(event.f))")
            }
            switch event.type {
            case "ok":
                operations[open.index].outcome = .ok
                operations[open.index].completion = UInt64(number)
                if event.f == .read { operations[open.index].value = event.value ?? "" }
            case "fail":
                operations[open.index].outcome = .fail
                operations[open.index].completion = UInt64(number)
            default:
                break   // info: stays indeterminate
            }
        }
        return History(operations: operations)
    }

    static func name(_ kind: OperationKind) -> String {
        switch kind {
        case .read: "get"
        case .write: "put"
        case .append: "append"
        case .cas: "cas"
        }
    }

    struct Event {
        var process: Int
        var type: String
        var f: OperationKind
        var key: String
        var value: String?
    }

    static func parseLine(_ line: ArraySlice<UInt8>, number: Int) throws(ParseError) -> Event {
        var cursor = line.startIndex
        let base = line.startIndex
        func error(_ expected: String) -> ParseError {
            let rest = line[cursor...]
            return ParseError(line: number, column: cursor - base + 1,
                              "expected \(expected), found \(rest.isEmpty ? "end of line" : quoted(rest))")
        }
        func literal(_ text: String) throws(ParseError) {
            let utf8 = Array(text.utf8)
            guard line[cursor...].starts(with: utf8) else { throw error("'\(text)'") }
            cursor += utf8.count
        }
        func keyword(_ allowed: [String]) throws(ParseError) -> String {
            let choices = allowed.map { ":" + $0 }.joined(separator: ", ")
            guard cursor < line.endIndex, line[cursor] == UInt8(ascii: ":") else { throw error("one of \(choices)") }
            var end = cursor + 1
            while end < line.endIndex, line[end] != UInt8(ascii: ","), !line[end].isSpaceOrTab,
                  line[end] != UInt8(ascii: "}") { end += 1 }
            let word = String(decoding: line[(cursor + 1)..<end], as: UTF8.self)
            guard allowed.contains(word) else { throw error("one of \(choices)") }
            cursor = end
            return word
        }
        func string() throws(ParseError) -> String {
            guard cursor < line.endIndex, line[cursor] == UInt8(ascii: "\"") else { throw error("a string in double quotes") }
            var end = cursor + 1
            while end < line.endIndex, line[end] != UInt8(ascii: "\"") { end += 1 }
            guard end < line.endIndex else { throw error("a closing '\"'") }
            let text = String(decoding: line[(cursor + 1)..<end], as: UTF8.self)
            cursor = end + 1
            return text
        }

        try literal("{:process ")
        let digitsStart = cursor
        while cursor < line.endIndex, line[cursor] >= 48, line[cursor] <= 57, cursor - digitsStart < 9 { cursor += 1 }
        guard cursor > digitsStart else { throw error("a process number") }
        let process = Int(String(decoding: line[digitsStart..<cursor], as: UTF8.self))!
        try literal(", :type ")
        let type = try keyword(["invoke", "ok", "fail", "info"])
        try literal(", :f ")
        let f: OperationKind = switch try keyword(["get", "put", "append"]) {
        case "get": .read
        case "put": .write
        default: .append
        }
        try literal(", :key ")
        let key = try string()
        try literal(", :value ")
        var value: String? = nil
        if line[cursor...].starts(with: Array("nil".utf8)) {
            cursor += 3
        } else {
            value = try string()
        }
        try literal("}")
        var end = line.endIndex
        while end > cursor, line[end - 1].isSpaceOrTab { end -= 1 }
        while cursor < end, line[cursor].isSpaceOrTab { cursor += 1 }
        guard cursor == end else { throw error("end of line after '}'") }
        return Event(process: process, type: type, f: f, key: key, value: value)
    }
}
