/// One problem with a plan, located in its file.
///
/// Rendered as `FILE:LINE:COLUMN: error: FIELD: MESSAGE` (the form compilers use, so
/// editors and CI annotate the line), with an optional "did you mean" suggestion.
public struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the problem concerns the whole file.
    public var line: Int
    public var column: Int
    /// The field path, e.g. `method[2].partition.isolate`; empty for the whole document.
    public var field: String
    public var message: String
    public var suggestion: String?
    /// An error makes the plan unusable; a warning is printed and the plan still runs.
    public var severity: Severity

    public enum Severity: String, Hashable, Sendable, Codable { case error, warning }

    public init(file: String, line: Int, column: Int, field: String, message: String, suggestion: String? = nil,
                severity: Severity = .error) {
        self.file = file; self.line = line; self.column = column
        self.field = field; self.message = message; self.suggestion = suggestion; self.severity = severity
    }

    public var description: String {
        var text = "\(file):\(line):\(column): \(severity.rawValue): "
        if !field.isEmpty { text += "\(field): " }
        text += message
        if let suggestion { text += " (did you mean '\(suggestion)'?)" }
        return text
    }
}

/// Raised when a plan cannot be used; carries every diagnostic found, in file order.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics while a plan is read, so every error is reported, not only the first.
final class DiagnosticSink {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Kept apart from `diagnostics`: a warning never makes a plan invalid.
    private(set) var warnings: [Diagnostic] = []

    init(file: String) { self.file = file }

    func warning(_ mark: Mark, _ field: String, _ message: String) {
        warnings.append(Diagnostic(file: file, line: mark.line, column: mark.column, field: field,
                                   message: message, severity: .warning))
    }

    func error(_ mark: Mark, _ field: String, _ message: String, suggestion: String? = nil) {
        diagnostics.append(Diagnostic(file: file, line: mark.line, column: mark.column, field: field,
                                      message: message, suggestion: suggestion))
    }

    /// A diagnostic about another file (an inventory file the plan names), kept against that
    /// file so its line and column point into it.
    func record(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    var isEmpty: Bool { diagnostics.isEmpty }

    /// This file's diagnostics by position, then those about other files (each by position).
    func sorted() -> [Diagnostic] {
        // Files in the order they were first reported, this one first.
        var rank: [String: Int] = [file: 0]
        for d in diagnostics where rank[d.file] == nil { rank[d.file] = rank.count }
        return diagnostics.enumerated().sorted { a, b in
            (rank[a.element.file]!, a.element.line, a.element.column, a.offset) < (rank[b.element.file]!, b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }
}

/// A position in a plan's text, 1-based.
public struct Mark: Hashable, Sendable, Codable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public static let file = Mark(line: 0, column: 0)
}
