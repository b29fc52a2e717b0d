/// A reply in the Redis serialization protocol, version 2 (what every Redis speaks
/// until a client asks for RESP3 with HELLO, which we never do).
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    /// An error reply, e.g. `ERR unknown command`, `READONLY ...`, `LOADING ...`.
    case error(String)
    case integer(Int64)
    /// `nil` is the null bulk string, Redis' "no such key".
    case bulkString([UInt8]?)
    /// `nil` is the null array (e.g. an aborted EXEC).
    case array([RESPValue]?)

    /// Encodes a command as clients send it: an array of bulk strings.
    public static func command(_ arguments: [String]) -> [UInt8] {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            let bytes = Array(argument.utf8)
            out += Array("$\(bytes.count)\r\n".utf8)
            out += bytes
            out += [13, 10]
        }
        return out
    }
}

/// Parses one RESP2 value from the bytes received so far. Pure: no I/O.
public enum RESPParser {
    public enum Result: Equatable {
        case incomplete
        case complete(RESPValue, consumed: Int)
        case malformed(String)
    }

    public static func parse(_ bytes: [UInt8], from start: Int = 0) -> Result {
        guard start < bytes.count else { return .incomplete }
        guard let lineEnd = HTTPResponseParser.find([13, 10], in: bytes, from: start + 1) else { return .incomplete }
        let line = String(decoding: bytes[(start + 1)..<lineEnd], as: UTF8.self)
        let next = lineEnd + 2
        switch bytes[start] {
        case UInt8(ascii: "+"): return .complete(.simpleString(line), consumed: next)
        case UInt8(ascii: "-"): return .complete(.error(line), consumed: next)
        case UInt8(ascii: ":"):
            guard let value = Int64(line) else { return .malformed("bad integer \"\(line.prefix(40))\"") }
            return .complete(.integer(value), consumed: next)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1 else { return .malformed("bad bulk length \"\(line.prefix(40))\"") }
            if length == -1 { return .complete(.bulkString(nil), consumed: next) }
            guard bytes.count >= next + length + 2 else { return .incomplete }
            guard bytes[next + length] == 13, bytes[next + length + 1] == 10 else {
                return .malformed("bulk string of \(length) bytes not followed by CRLF")
            }
            return .complete(.bulkString(Array(bytes[next..<(next + length)])), consumed: next + length + 2)
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1 else { return .malformed("bad array length \"\(line.prefix(40))\"") }
            if count == -1 { return .complete(.array(nil), consumed: next) }
            var elements: [RESPValue] = []
            var position = next
            for _ in 0..<count {
                switch parse(bytes, from: position) {
                case .complete(let element, let end):
                    elements.append(element)
                    position = end
                case .incomplete: return .incomplete
                case .malformed(let reason): return .malformed(reason)
                }
            }
            return .complete(.array(elements), consumed: position)
        default:
            return .malformed("unknown RESP type byte \(bytes[start])")
        }
    }
}
