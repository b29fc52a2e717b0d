/// Malformed input: where (1-based line and, when known, column) and what was expected.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int?
    public var message: String

    public init(line: Int, column: Int? = nil, _ message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// `line:column: message`, to be prefixed with the file name by the caller.
    public var description: String {
        if let column { return "\(line):\(column): \(message)" }
        return "\(line): \(message)"
    }
}
