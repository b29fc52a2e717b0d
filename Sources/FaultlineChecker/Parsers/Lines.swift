/// Splits bytes into lines (`\n`, with an optional `\r` before it) and numbers them from 1.
/// A final line without a terminator is still a line; the empty piece after a final
/// terminator is not.
struct Lines: Sequence {
    let bytes: [UInt8]

    struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var start = 0
        var number = 0

        mutating func next() -> (number: Int, range: Range<Int>)? {
            guard start < bytes.count else { return nil }
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            number += 1
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            let range = start..<contentEnd
            start = end + 1
            return (number, range)
        }
    }

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}

extension UInt8 {
    var isSpaceOrTab: Bool { self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") }
}

/// Shows a piece of input in an error message, shortened.
func quoted(_ bytes: ArraySlice<UInt8>) -> String {
    let text = String(decoding: bytes.prefix(40), as: UTF8.self)
    return "'" + text + (bytes.count > 40 ? "…" : "") + "'"
}
