/// Parses one HTTP/1.1 response from the bytes received so far. Pure: no I/O.
///
/// The connection calls it after every read with everything buffered; bodies in a
/// register workload are a few hundred bytes, so parsing again from the start is cheaper
/// than keeping parser state. Framing follows RFC 9112 §6.3: no body for HEAD, 1xx, 204
/// and 304; else chunked if Transfer-Encoding says so; else Content-Length; else the body
/// runs until the server closes the connection.
public enum HTTPResponseParser {
    public enum Result: Equatable {
        /// More bytes are needed (or, with `atEndOfStream`, the response was cut short).
        case incomplete
        /// A response, and how many bytes of the buffer it used (the rest belongs to
        /// whatever the server sends next).
        case complete(HTTPResponse, consumed: Int)
        case malformed(String)
    }

    /// - Parameters:
    ///   - bytes: everything received since the end of the previous response.
    ///   - requestMethod: the method of the request this answers (HEAD has no body).
    ///   - atEndOfStream: the server closed the connection after these bytes, which ends
    ///     a body framed by the close.
    public static func parse(_ bytes: [UInt8], requestMethod: String, atEndOfStream: Bool = false) -> Result {
        var start = 0
        // Interim 1xx responses (100 Continue) precede the real one; skip them.
        while true {
            guard let headEnd = find(crlfcrlf, in: bytes, from: start) else {
                return atEndOfStream && bytes.count > start ? .malformed("connection closed inside the response head") : .incomplete
            }
            let head = String(decoding: bytes[start..<headEnd], as: UTF8.self)
            var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            let statusLine = lines.removeFirst()
            guard let (status, reason) = parseStatusLine(statusLine) else {
                return .malformed("bad status line \"\(statusLine.prefix(80))\"")
            }
            var headers: [(name: String, value: String)] = []
            for line in lines {
                guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                    return .malformed("bad header line \"\(line.prefix(80))\"")
                }
                let name = String(line[..<colon])
                let value = line[line.index(after: colon)...].trimmingWhitespace()
                headers.append((name, value))
            }
            let bodyStart = headEnd + 4
            if (100..<200).contains(status) && status != 101 {
                start = bodyStart
                continue
            }
            var response = HTTPResponse(status: status, reason: reason, headers: headers)
            if requestMethod == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) {
                return .complete(response, consumed: bodyStart)
            }
            if let coding = response.header("Transfer-Encoding"), coding.lowercased().contains("chunked") {
                switch parseChunked(bytes, from: bodyStart) {
                case .incomplete:
                    return atEndOfStream ? .malformed("connection closed inside a chunked body") : .incomplete
                case .malformed(let reason): return .malformed(reason)
                case .complete(let body, let end):
                    response.body = body
                    return .complete(response, consumed: end)
                }
            }
            if let lengthText = response.header("Content-Length") {
                guard let length = Int(lengthText), length >= 0 else {
                    return .malformed("bad Content-Length \"\(lengthText)\"")
                }
                guard bytes.count - bodyStart >= length else {
                    return atEndOfStream ? .malformed("connection closed after \(bytes.count - bodyStart) of \(length) body bytes") : .incomplete
                }
                response.body = Array(bytes[bodyStart..<(bodyStart + length)])
                return .complete(response, consumed: bodyStart + length)
            }
            guard atEndOfStream else { return .incomplete }
            response.body = Array(bytes[bodyStart...])
            return .complete(response, consumed: bytes.count)
        }
    }

    private enum ChunkedResult {
        case incomplete
        case malformed(String)
        case complete([UInt8], end: Int)
    }

    /// Chunks are `size-in-hex[;ext] CRLF data CRLF`, ended by a 0-size chunk, optional
    /// trailer fields and a blank line.
    private static func parseChunked(_ bytes: [UInt8], from start: Int) -> ChunkedResult {
        var body: [UInt8] = []
        var position = start
        while true {
            guard let lineEnd = find(crlf, in: bytes, from: position) else { return .incomplete }
            let sizeLine = String(decoding: bytes[position..<lineEnd], as: UTF8.self)
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace() } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else {
                return .malformed("bad chunk size \"\(sizeLine.prefix(40))\"")
            }
            position = lineEnd + 2
            if size == 0 {
                // Trailer fields, each ending in CRLF, then an empty line.
                while true {
                    guard let end = find(crlf, in: bytes, from: position) else { return .incomplete }
                    let empty = end == position
                    position = end + 2
                    if empty { return .complete(body, end: position) }
                }
            }
            guard bytes.count >= position + size + 2 else { return .incomplete }
            body += bytes[position..<(position + size)]
            guard bytes[position + size] == 13, bytes[position + size + 1] == 10 else {
                return .malformed("chunk of \(size) bytes not followed by CRLF")
            }
            position += size + 2
        }
    }

    private static func parseStatusLine(_ line: String) -> (Int, String)? {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3,
              let status = Int(parts[1]) else { return nil }
        return (status, parts.count == 3 ? String(parts[2]) : "")
    }

    private static let crlf: [UInt8] = [13, 10]
    private static let crlfcrlf: [UInt8] = [13, 10, 13, 10]

    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
