import Foundation

/// Checks on a plan's raw bytes that must happen before any YAML parser sees them: size,
/// binary content, encoding, tabs and nesting depth. They keep memory and stack use bounded
/// whatever the input (a 20 MB file, a billion-laughs document, `[[[[…` a million deep).
enum PlanText {
    /// Plans are hand-written; 1 MiB is far beyond any real one.
    static let maximumBytes = 1 << 20
    /// Deeper nesting than this is no plan, and would only risk the parser's stack.
    static let maximumDepth = 64

    /// Decodes and pre-checks the bytes; reports problems to `sink` and returns nil if any.
    static func decode(_ bytes: [UInt8], sink: DiagnosticSink) -> String? {
        if bytes.count > maximumBytes {
            sink.error(.file, "", "the file is \(describeSize(bytes.count)) or more; a plan may be at most 1 MiB (is this the right file?)")
            return nil
        }
        // The first offending byte is the one reported, whichever rule it breaks: a binary
        // file is named at its start, not at a NUL three lines down.
        if let (offset, problem) = firstProblem(bytes) {
            sink.error(mark(ofByte: offset, in: bytes), "", problem)
            return nil
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let before = sink.diagnostics.count
        checkLines(text, sink: sink)
        return sink.diagnostics.count == before ? text : nil
    }

    static func describeSize(_ n: Int) -> String {
        n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / Double(1 << 20)) : "\(n) bytes"
    }

    /// Tabs in indentation and nesting depth, line by line, outside quoted scalars.
    private static func checkLines(_ text: String, sink: DiagnosticSink) {
        var flowDepth = 0
        var reportedDepth = false
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let chars = Array(line.unicodeScalars)
            // Indentation: leading spaces and tabs before the first other character.
            var i = 0
            while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
            let hasContent = i < chars.count && chars[i] != "#" && chars[i] != "\r"
            if hasContent, flowDepth == 0, let tab = chars[..<i].firstIndex(of: "\t") {
                sink.error(Mark(line: lineNumber, column: tab + 1), "", "a tab is used for indentation; YAML indents with spaces only")
            }
            // Block depth grows with indentation and with compact "- - -" entries.
            var j = i
            var dashes = 0
            while j + 1 < chars.count, chars[j] == "-", chars[j + 1] == " " {
                dashes += 1; j += 2
                while j < chars.count, chars[j] == " " { j += 1 }
            }
            let blockDepthBound = i / 2 + dashes
            if !reportedDepth, hasContent, i > 8 * maximumDepth || dashes > maximumDepth {
                sink.error(Mark(line: lineNumber, column: 1), "", "nesting is deeper than \(maximumDepth) levels (\(blockDepthBound)); a plan never needs that")
                reportedDepth = true
            }
            // Flow collections: count brackets outside quotes and comments.
            var quote: Unicode.Scalar?
            var k = i
            while k < chars.count {
                let c = chars[k]
                if let q = quote {
                    if c == "\\" && q == "\"" { k += 2; continue }
                    if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    if k == 0 || " [{,:".unicodeScalars.contains(chars[k - 1]) { quote = c }
                } else if c == "#", k == 0 || chars[k - 1] == " " {
                    break
                } else if c == "[" || c == "{" {
                    flowDepth += 1
                    if flowDepth > maximumDepth, !reportedDepth {
                        sink.error(Mark(line: lineNumber, column: k + 1), "", "brackets nest deeper than \(maximumDepth) levels; a plan never needs that")
                        reportedDepth = true
                    }
                } else if c == "]" || c == "}" {
                    flowDepth = max(0, flowDepth - 1)
                }
                k += 1
            }
            if reportedDepth { return }
        }
    }

    static func mark(ofByte offset: Int, in bytes: [UInt8]) -> Mark {
        var line = 1, column = 1
        var i = 0
        while i < offset {
            if bytes[i] == 0x0A { line += 1; column = 1 } else if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return Mark(line: line, column: column)
    }

    /// The first byte that is not plan text, and why: a NUL, invalid UTF-8, or a control
    /// character (anything below U+0020 but tab, line feed and carriage return; DEL; the C1
    /// controls U+0080–U+009F). Control characters are refused because a title or name is
    /// printed on terminals: an ESC would reach them as an escape sequence. The byte is
    /// named by its code, never echoed.
    static func firstProblem(_ bytes: [UInt8]) -> (Int, String)? {
        let invalid = firstInvalidUTF8(bytes)
        let limit = invalid ?? bytes.count
        var i = 0
        while i < limit {
            let b = bytes[i]
            if b == 0 { return (i, "the file contains a NUL byte: plans are UTF-8 text (is this a binary file?)") }
            if (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F {
                return (i, "a control character (\(codeName(UInt32(b)))) is here; plans are printable text: remove it or write it as an escape in a double-quoted string")
            }
            if b == 0xC2, i + 1 < limit, (0x80...0x9F).contains(bytes[i + 1]) {
                return (i, "a control character (\(codeName(UInt32(bytes[i + 1])))) is here; plans are printable text: remove it")
            }
            i += 1
        }
        if let invalid {
            return (invalid, "the file is not valid UTF-8 here (byte 0x\(String(bytes[invalid], radix: 16, uppercase: true))); save the plan as UTF-8 (is this a binary file?)")
        }
        return nil
    }

    /// "U+001B ESC", "U+0007"
    static func codeName(_ scalar: UInt32) -> String {
        let names: [UInt32: String] = [0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL", 0x9B: "CSI"]
        let code = "U+" + String(repeating: "0", count: max(0, 4 - String(scalar, radix: 16).count)) + String(scalar, radix: 16, uppercase: true)
        return names[scalar].map { "\(code) \($0)" } ?? code
    }

    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00...0x7F: i += 1; continue
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return i
            }
            guard i + length <= bytes.count else { return i }
            for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
            if b == 0xE0, bytes[i + 1] < 0xA0 { return i }
            if b == 0xED, bytes[i + 1] > 0x9F { return i }
            if b == 0xF0, bytes[i + 1] < 0x90 { return i }
            if b == 0xF4, bytes[i + 1] > 0x8F { return i }
            i += length
        }
        return nil
    }
}
