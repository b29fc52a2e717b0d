import FaultlineCore

/// The keys of one YAML mapping, read against its schema object.
///
/// Creating it reports every unknown key (with a suggestion); each accessor reports a
/// missing or mistyped value at the value's own line and column and returns nil, so a
/// parser carries on and every problem in a plan is reported in one run.
struct Fields {
    let node: YAMLNode
    let path: String
    let object: String
    let sink: DiagnosticSink
    private let entries: [String: YAMLNode.Entry]
    let keys: [String]

    /// Reads `node` as a mapping of `object`'s keys; reports and returns nil if it is not a mapping.
    init?(_ node: YAMLNode, path: String, object: String, sink: DiagnosticSink, expected: String? = nil) {
        guard case .mapping(let list) = node.content else {
            sink.error(node.mark, path, "expected \(expected ?? "a mapping with keys such as \(PlanSchema.fields(object).prefix(3).joined(separator: ", "))"), found \(node.found)")
            return nil
        }
        self.node = node; self.path = path; self.object = object; self.sink = sink
        let allowed = PlanSchema.fields(object)
        var entries: [String: YAMLNode.Entry] = [:]
        for entry in list {
            if allowed.contains(entry.key) {
                entries[entry.key] = entry
            } else {
                sink.error(entry.keyMark, Fields.join(path, entry.key), "unknown field; \(object == "step" ? "a step is one of" : "expected one of"): \(allowed.joined(separator: ", "))",
                           suggestion: Suggestion.closest(to: entry.key, in: allowed))
            }
        }
        self.entries = entries
        self.keys = list.map(\.key).filter { allowed.contains($0) }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool { value(key) != nil }

    func value(_ key: String) -> YAMLNode? {
        assert(PlanSchema.fields(object).contains(key), "'\(key)' is read but not declared for '\(object)' in PlanSchema")
        guard let v = entries[key]?.value, !v.isNull else { return nil }
        return v
    }

    func keyMark(_ key: String) -> Mark { entries[key]?.keyMark ?? node.mark }
    func pathOf(_ key: String) -> String { Fields.join(path, key) }

    func missing(_ key: String, _ what: String) {
        sink.error(node.mark, path, "missing field '\(key)': expected \(what)")
    }

    // MARK: typed accessors

    func string(_ key: String, required what: String? = nil) -> String? {
        guard let v = value(key) else { if let what { missing(key, what) }; return nil }
        return Values.string(v, path: pathOf(key), sink: sink)
    }

    func int(_ key: String, in range: ClosedRange<Int>, required what: String? = nil) -> Int? {
        guard let v = value(key) else { if let what { missing(key, what) }; return nil }
        return Values.int(v, path: pathOf(key), range: range, sink: sink)
    }

    func span(_ key: String, required what: String? = nil) -> TimeSpan? {
        guard let v = value(key) else { if let what { missing(key, what) }; return nil }
        return Values.unit(v, path: pathOf(key), sink: sink, parse: TimeSpan.parse)
    }

    /// A duration that must be above zero.
    func positiveSpan(_ key: String, required what: String? = nil) -> TimeSpan? {
        guard let span = span(key, required: what) else { return nil }
        guard span > .zero else {
            sink.error(value(key)!.mark, pathOf(key), "expected a duration above 0, found \(span)")
            return nil
        }
        return span
    }

    func percent(_ key: String, required what: String? = nil) -> Percent? {
        guard let v = value(key) else { if let what { missing(key, what) }; return nil }
        return Values.unit(v, path: pathOf(key), sink: sink, parse: Percent.parse)
    }

    func stringList(_ key: String, required what: String? = nil) -> [String]? {
        guard let v = value(key) else { if let what { missing(key, what) }; return nil }
        return Values.stringList(v, path: pathOf(key), sink: sink)
    }

    func stringMap(_ key: String) -> [String: String]? {
        guard let v = value(key) else { return nil }
        return Values.stringMap(v, path: pathOf(key), sink: sink)
    }

    func bool(_ key: String) -> Bool? {
        guard let v = value(key) else { return nil }
        return Values.bool(v, path: pathOf(key), sink: sink)
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) -> T? where T.RawValue == String {
        guard let v = value(key), let text = Values.string(v, path: pathOf(key), sink: sink) else { return nil }
        if let c = T(rawValue: text) { return c }
        let names = T.allCases.map(\.rawValue)
        sink.error(v.mark, pathOf(key), "expected one of \(names.joined(separator: ", ")), found '\(text)'",
                   suggestion: Suggestion.closest(to: text, in: names))
        return nil
    }

    func sequence(_ key: String, required what: String? = nil) -> [YAMLNode]? {
        guard let v = value(key) else { if let what { missing(key, what) }; return nil }
        guard case .sequence(let items) = v.content else {
            sink.error(v.mark, pathOf(key), "expected a list, found \(v.found)")
            return nil
        }
        return items
    }
}

/// Conversions of single YAML values into typed values, reporting what was expected.
enum Values {
    static func scalar(_ node: YAMLNode) -> String? {
        if case .scalar(let s, _) = node.content { return s }
        return nil
    }

    static func string(_ node: YAMLNode, path: String, sink: DiagnosticSink) -> String? {
        guard let s = scalar(node) else {
            sink.error(node.mark, path, "expected a single value (text or number), found \(node.found)")
            return nil
        }
        return s
    }

    static func int(_ node: YAMLNode, path: String, range: ClosedRange<Int>, sink: DiagnosticSink) -> Int? {
        guard let s = scalar(node) else {
            sink.error(node.mark, path, "expected a whole number, found \(node.found)")
            return nil
        }
        guard let n = Int(s) else {
            sink.error(node.mark, path, "expected a whole number\(range.upperBound < Int.max ? " from \(range.lowerBound) to \(range.upperBound)" : ""), found \(node.found)")
            return nil
        }
        guard range.contains(n) else {
            sink.error(node.mark, path, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(n)")
            return nil
        }
        return n
    }

    static func double(_ node: YAMLNode, path: String, sink: DiagnosticSink) -> Double? {
        guard let s = scalar(node), let d = Double(s), d.isFinite else {
            sink.error(node.mark, path, "expected a number, found \(node.found)")
            return nil
        }
        return d
    }

    static func bool(_ node: YAMLNode, path: String, sink: DiagnosticSink) -> Bool? {
        switch scalar(node) {
        case "true", "True", "TRUE", "yes", "on": return true
        case "false", "False", "FALSE", "no", "off": return false
        default:
            sink.error(node.mark, path, "expected true or false, found \(node.found)")
            return nil
        }
    }

    static func unit<T>(_ node: YAMLNode, path: String, sink: DiagnosticSink, parse: (String) -> Result<T, UnitError>) -> T? {
        guard let s = scalar(node) else {
            sink.error(node.mark, path, "expected a single value, found \(node.found)")
            return nil
        }
        switch parse(s) {
        case .success(let v): return v
        case .failure(let e):
            sink.error(node.mark, path, e.message)
            return nil
        }
    }

    /// A list of strings; a single scalar counts as a list of one.
    static func stringList(_ node: YAMLNode, path: String, sink: DiagnosticSink) -> [String]? {
        switch node.content {
        case .scalar(let s, _): return [s]
        case .sequence(let items):
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard let s = string(item, path: "\(path)[\(i)]", sink: sink) else { return nil }
                out.append(s)
            }
            return out
        case .mapping:
            sink.error(node.mark, path, "expected a value or a list of values, found a mapping")
            return nil
        }
    }

    static func stringMap(_ node: YAMLNode, path: String, sink: DiagnosticSink) -> [String: String]? {
        guard case .mapping(let entries) = node.content else {
            sink.error(node.mark, path, "expected a mapping of names to values (e.g. { role: etcd }), found \(node.found)")
            return nil
        }
        var out: [String: String] = [:]
        for e in entries {
            guard let s = string(e.value, path: Fields.join(path, e.key), sink: sink) else { continue }
            out[e.key] = s
        }
        return out
    }
}
