/// A flat JSON object on one line: the only JSON a Faultline history line holds. Keys map
/// to scalars; nested objects and arrays are rejected with the column where they start.
struct JSONLine {
    enum Scalar: Equatable {
        case string(String)
        case integer(Int64)
        case number(Double)
        case bool(Bool)
        case null

        var typeName: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .number: "a number"
            case .bool: "a boolean"
            case .null: "null"
            }
        }
    }

    /// Fields in order of appearance, with the column of each value.
    var fields: [(key: String, value: Scalar, column: Int)] = []

    subscript(key: String) -> (value: Scalar, column: Int)? {
        fields.first { $0.key == key }.map { ($0.value, $0.column) }
    }

    static func parse(_ line: ArraySlice<UInt8>, number: Int) throws(ParseError) -> JSONLine {
        var parser = Parser(bytes: line, number: number, cursor: line.startIndex)
        return try parser.object()
    }

    private struct Parser {
        let bytes: ArraySlice<UInt8>
        let number: Int
        var cursor: Int

        var column: Int { cursor - bytes.startIndex + 1 }

        func error(_ expected: String) -> ParseError {
            let rest = bytes[cursor...]
            return ParseError(line: number, column: column,
                              "expected \(expected), found \(rest.isEmpty ? "end of line" : quoted(rest))")
        }

        mutating func skipSpace() {
            while cursor < bytes.endIndex, bytes[cursor].isSpaceOrTab || bytes[cursor] == 13 { cursor += 1 }
        }

        var current: UInt8? { cursor < bytes.endIndex ? bytes[cursor] : nil }

        mutating func object() throws(ParseError) -> JSONLine {
            var result = JSONLine()
            skipSpace()
            guard current == UInt8(ascii: "{") else { throw error("'{' (one JSON object per line)") }
            cursor += 1
            skipSpace()
            if current == UInt8(ascii: "}") {
                cursor += 1
            } else {
                while true {
                    skipSpace()
                    guard current == UInt8(ascii: "\"") else { throw error("a field name in double quotes") }
                    let keyColumn = column
                    let key = try string()
                    if result.fields.contains(where: { $0.key == key }) {
                        throw ParseError(line: number, column: keyColumn, "expected each field once, found '\(key)' twice")
                    }
                    skipSpace()
                    guard current == UInt8(ascii: ":") else { throw error("':' after field name") }
                    cursor += 1
                    skipSpace()
                    let valueColumn = column
                    let value = try scalar()
                    result.fields.append((key, value, valueColumn))
                    skipSpace()
                    if current == UInt8(ascii: ",") { cursor += 1; continue }
                    if current == UInt8(ascii: "}") { cursor += 1; break }
                    throw error("',' or '}'")
                }
            }
            skipSpace()
            guard cursor == bytes.endIndex else { throw error("end of line after the object") }
            return result
        }

        mutating func scalar() throws(ParseError) -> Scalar {
            guard let byte = current else { throw error("a value") }
            switch byte {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try word("true"); return .bool(true)
            case UInt8(ascii: "f"): try word("false"); return .bool(false)
            case UInt8(ascii: "n"): try word("null"); return .null
            case UInt8(ascii: "-"), 48...57: return try numberValue()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                throw error("a string, number, boolean or null (nested values are not part of the format)")
            default: throw error("a value")
            }
        }

        mutating func word(_ text: String) throws(ParseError) {
            let utf8 = Array(text.utf8)
            guard bytes[cursor...].starts(with: utf8) else { throw error("'\(text)'") }
            cursor += utf8.count
        }

        mutating func numberValue() throws(ParseError) -> Scalar {
            let start = cursor
            var isInteger = true
            while let byte = current,
                  (48...57).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                if !(48...57).contains(byte) && !(byte == UInt8(ascii: "-") && cursor == start) { isInteger = false }
                cursor += 1
            }
            let text = String(decoding: bytes[start..<cursor], as: UTF8.self)
            if isInteger, let integer = Int64(text) { return .integer(integer) }
            if let double = Double(text), !isInteger { return .number(double) }
            cursor = start
            throw error("a number")
        }

        mutating func string() throws(ParseError) -> String {
            cursor += 1   // opening quote
            var scalars = String.UnicodeScalarView()
            var run = cursor
            var text = ""
            func flush(_ upTo: Int) {
                text += String(decoding: bytes[run..<upTo], as: UTF8.self)
            }
            while true {
                guard let byte = current else { throw error("a closing '\"'") }
                if byte == UInt8(ascii: "\"") {
                    flush(cursor)
                    cursor += 1
                    return text
                }
                if byte < 0x20 { throw error("no control characters inside a string (escape them)") }
                if byte != UInt8(ascii: "\\") { cursor += 1; continue }
                flush(cursor)
                cursor += 1
                guard let escape = current else { throw error("an escape character") }
                cursor += 1
                switch escape {
                case UInt8(ascii: "\""): text += "\""
                case UInt8(ascii: "\\"): text += "\\"
                case UInt8(ascii: "/"): text += "/"
                case UInt8(ascii: "b"): text += "\u{08}"
                case UInt8(ascii: "f"): text += "\u{0C}"
                case UInt8(ascii: "n"): text += "\n"
                case UInt8(ascii: "r"): text += "\r"
                case UInt8(ascii: "t"): text += "\t"
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard bytes[cursor...].starts(with: [92, 117]) else { throw error("a low surrogate '\\uDC00'…'\\uDFFF'") }
                        cursor += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("a low surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("a valid Unicode scalar") }
                    scalars.removeAll()
                    scalars.append(scalar)
                    text += String(scalars)
                default:
                    cursor -= 1
                    throw error("a JSON escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                }
                run = cursor
            }
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = current, let digit = hexDigit(byte) else { throw error("four hex digits") }
                value = value << 4 | digit
                cursor += 1
            }
            return value
        }

        func hexDigit(_ byte: UInt8) -> UInt32? {
            switch byte {
            case 48...57: UInt32(byte - 48)
            case 65...70: UInt32(byte - 55)
            case 97...102: UInt32(byte - 87)
            default: nil
            }
        }
    }
}
