import Yams

/// Parses one YAML document with Yams (libyaml) and converts it into `YAMLNode`s.
///
/// Aliases are legal YAML and handy in plans, but a document of nested aliases can expand
/// exponentially (a "billion laughs"). Yams shares the aliased node's storage, so parsing
/// is cheap; the conversion below counts every node it would produce and stops at
/// `maximumNodes` without expanding further.
enum YAMLLoader {
    static let maximumNodes = 100_000

    static func load(_ text: String, sink: DiagnosticSink) -> YAMLNode? {
        let root: Yams.Node?
        do {
            let parser = try Yams.Parser(yaml: text)
            root = try parser.nextRoot()
            if root != nil, let second = try parser.nextRoot() {
                // Reported at the second document's '---' (libyaml marks its first node).
                let at = mark(second.mark)
                let marker = documentMarker(before: at.line, in: text) ?? at
                sink.error(marker, "", "a plan file holds one YAML document, but another one starts here; split the file or remove the '---'")
                return nil
            }
        } catch let error as YamlError {
            report(error, text: text, sink: sink)
            return nil
        } catch {
            sink.error(.file, "", "cannot parse the YAML: \(error)")
            return nil
        }
        guard let root, !isEmptyDocument(root) else {
            sink.error(Mark(line: 1, column: 1), "", "the plan is empty; expected a mapping with at least version, title and method")
            return nil
        }
        var budget = maximumNodes
        return convert(root, depth: 0, budget: &budget, sink: sink)
    }

    private static func isEmptyDocument(_ node: Yams.Node) -> Bool {
        if case .scalar(let s) = node, s.style == .plain, s.string.isEmpty || s.string == "~" || s.string == "null" { return true }
        return false
    }

    /// The last `---` line at or before `line` (1-based), where a second document begins.
    static func documentMarker(before line: Int, in text: String) -> Mark? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var n = min(line, lines.count)
        while n >= 1 {
            if lines[n - 1].hasPrefix("---") { return Mark(line: n, column: 1) }
            n -= 1
        }
        return nil
    }

    private static func mark(_ m: Yams.Mark?) -> Mark {
        m.map { Mark(line: $0.line, column: $0.column) } ?? Mark(line: 1, column: 1)
    }

    private static func convert(_ node: Yams.Node, depth: Int, budget: inout Int, sink: DiagnosticSink) -> YAMLNode? {
        budget -= 1
        guard budget >= 0 else {
            sink.error(mark(node.mark), "", "the document expands to more than \(maximumNodes) nodes (aliases of aliases?); refused without expanding it")
            return nil
        }
        guard depth <= PlanText.maximumDepth else {
            sink.error(mark(node.mark), "", "nesting is deeper than \(PlanText.maximumDepth) levels; a plan never needs that")
            return nil
        }
        switch node {
        case .scalar(let s):
            return YAMLNode(content: .scalar(s.string, plain: s.style == .plain), mark: mark(s.mark))
        case .sequence(let seq):
            var items: [YAMLNode] = []
            items.reserveCapacity(seq.count)
            for item in seq {
                guard let converted = convert(item, depth: depth + 1, budget: &budget, sink: sink) else { return nil }
                items.append(converted)
            }
            return YAMLNode(content: .sequence(items), mark: mark(seq.mark))
        case .mapping(let map):
            var entries: [YAMLNode.Entry] = []
            for (key, value) in map {
                guard case .scalar(let k) = key else {
                    sink.error(mark(key.mark), "", "a mapping key must be a plain word such as 'title', found a \(key.sequence != nil ? "list" : "mapping")")
                    return nil
                }
                guard let v = convert(value, depth: depth + 1, budget: &budget, sink: sink) else { return nil }
                entries.append(.init(key: k.string, keyMark: mark(k.mark), value: v))
            }
            return YAMLNode(content: .mapping(entries), mark: mark(map.mark))
        case .alias(let alias):
            sink.error(mark(alias.mark), "", "unresolved alias")
            return nil
        }
    }

    /// Turns libyaml's messages into located diagnostics a person can act on.
    private static func report(_ error: YamlError, text: String, sink: DiagnosticSink) {
        switch error {
        case .scanner(let context, let problem, let m, _), .parser(let context, let problem, let m, _),
             .composer(let context, let problem, let m, _):
            var message = "YAML syntax: \(problem)"
            if let context { message += " (\(context.text) that began at line \(context.mark.line), column \(context.mark.column))" }
            if problem.contains("mapping values are not allowed") {
                message += "; a value containing ': ' must be quoted"
            } else if problem.contains("did not find expected key") || problem.contains("did not find expected '-'") {
                message += "; check the indentation of this line against the lines above"
            }
            sink.error(Mark(line: m.line, column: m.column), "", message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            let second = secondOccurrence(of: key, after: context.mark, in: text)
            sink.error(second ?? Mark(line: context.mark.line, column: context.mark.column), key,
                       "this key appears twice in the same mapping (first at line \(context.mark.line)); YAML keeps only one, so remove or rename one")
        case .reader(let problem, let offset, _, _):
            let m = offset.map { Mark(line: text.prefix($0).filter { $0 == "\n" }.count + 1, column: 1) } ?? .file
            sink.error(m, "", "cannot read the text: \(problem)")
        default:
            sink.error(.file, "", "cannot parse the YAML: \(error)")
        }
    }

    /// Yams reports a duplicate key at its first occurrence; the second is the one to fix.
    private static func secondOccurrence(of key: String, after first: Yams.Mark, in text: String) -> Mark? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let column = first.column
        for index in first.line..<lines.count {
            let line = Array(lines[index])
            guard line.count >= column else { continue }
            let rest = String(line[(column - 1)...])
            if rest.hasPrefix(key + ":") || rest.hasPrefix("\"\(key)\":") || rest.hasPrefix("'\(key)':") {
                return Mark(line: index + 1, column: column)
            }
        }
        return nil
    }
}
