/// Values a plan takes from outside: `--var NAME=VALUE` for its `vars:`, and the
/// environment for `{{env.NAME}}`.
public struct PlanInputs: Sendable, Hashable {
    /// `--var` values, by name.
    public var variables: [String: String]
    /// The environment `{{env.NAME}}` reads (the process's, in the CLI).
    public var environment: [String: String]
    public init(variables: [String: String] = [:], environment: [String: String] = [:]) {
        self.variables = variables; self.environment = environment
    }
}

/// `vars:` and `{{vars.NAME}}` / `{{env.NAME}}` in a plan, expanded in the YAML tree before
/// the plan is read — so a value that came from a variable is checked like any other, and
/// an error in it is reported where the plan text uses it.
///
/// ```yaml
/// vars:
///   etcd-port: 2379            # a default; --var etcd-port=2479 overrides it
///   leader-wait: ~             # no default: --var leader-wait=… is required
/// steady-state:
///   - name: healthy
///     probe: { http: { url: "http://{{host.address}}:{{vars.etcd-port}}/health", each: etcd } }
/// settings:
///   seed: "{{env.SEED:-7}}"    # the environment's SEED, or 7 when it is unset
/// ```
///
/// Only the `vars.` and `env.` namespaces are expanded here; `{{host.address}}` and
/// `{{host.name}}` stay for the probes to fill in per host at run time. An `{{env.NAME}}`
/// without a `:-default` is an error when NAME is unset (an empty value is a value).
struct PlanVariables {
    /// What each variable resolved to, in declaration order: (name, value, where it came from).
    var resolved: [(name: String, value: String, source: String)] = []

    static let namePattern = "letters, digits, '-' and '_', starting with a letter"

    static func isName(_ s: Substring) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// Expands `root` (the document) with `inputs`; reports every problem to `sink`.
    static func expand(_ root: YAMLNode, inputs: PlanInputs, sink: DiagnosticSink) -> (YAMLNode, PlanVariables) {
        var state = PlanVariables()
        guard case .mapping(let entries) = root.content else { return (root, state) }
        var values: [String: String] = [:]
        var declared: [String] = []
        if let vars = entries.first(where: { $0.key == "vars" }) {
            switch vars.value.content {
            case .mapping(let items):
                for item in items {
                    guard isName(Substring(item.key)) else {
                        sink.error(item.keyMark, "vars.\(item.key)", "a variable name is made of \(namePattern), found '\(item.key)'")
                        continue
                    }
                    declared.append(item.key)
                    if let given = inputs.variables[item.key] {
                        // Values are printed (plan, report, terminal): no control characters.
                        if let bad = given.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t") || (0x7F...0x9F).contains($0.value) }) {
                            // Reported once here; the value stays so its uses report nothing more.
                            sink.error(.file, "vars.\(item.key)", "--var \(item.key): the value holds a control character (\(PlanText.codeName(bad.value))); give printable text")
                        }
                        values[item.key] = given
                        state.resolved.append((item.key, given, "--var"))
                    } else if item.value.isNull {
                        sink.error(item.keyMark, "vars.\(item.key)", "this variable has no default: give it with --var \(item.key)=VALUE")
                        values[item.key] = ""  // reported once here, not again at every use
                    } else if case .scalar(let text, _) = item.value.content {
                        // A default may read the environment, never another variable (no order to get wrong).
                        if let expanded = substitute(text, mark: item.value.mark, path: "vars.\(item.key)", values: nil, inputs: inputs, sink: sink) {
                            values[item.key] = expanded
                            state.resolved.append((item.key, expanded, text == expanded ? "default" : "default, from the environment"))
                        } else {
                            values[item.key] = ""
                        }
                    } else {
                        sink.error(item.value.mark, "vars.\(item.key)", "expected a value (text or a number) as the default, found \(item.value.found)")
                    }
                }
            default:
                if !vars.value.isNull {
                    sink.error(vars.value.mark, "vars", "expected a mapping of variable names to their defaults, found \(vars.value.found)")
                }
            }
        }
        for name in inputs.variables.keys.sorted() where !declared.contains(name) {
            let known = declared.isEmpty ? "the plan declares no variables (add them under 'vars:')" : "declared: \(declared.joined(separator: ", "))"
            sink.error(.file, "vars", "--var \(name): the plan has no variable '\(name)'; \(known)",
                       suggestion: Suggestion.closest(to: name, in: declared))
        }
        var out = root
        out.content = .mapping(entries.map { entry in
            guard entry.key != "vars" else { return entry }
            var e = entry
            e.value = walk(entry.value, path: entry.key, values: values, inputs: inputs, sink: sink)
            return e
        })
        return (out, state)
    }

    private static func walk(_ node: YAMLNode, path: String, values: [String: String], inputs: PlanInputs, sink: DiagnosticSink) -> YAMLNode {
        var n = node
        switch node.content {
        case .scalar(let text, let plain):
            guard text.contains("{{") else { return node }
            if let expanded = substitute(text, mark: node.mark, path: path, values: values, inputs: inputs, sink: sink) {
                // A scalar that was a variable reads like the value typed there: plain.
                n.content = .scalar(expanded, plain: plain || text.hasPrefix("{{") && text.hasSuffix("}}"))
            }
        case .sequence(let items):
            n.content = .sequence(items.enumerated().map { walk($0.element, path: "\(path)[\($0.offset)]", values: values, inputs: inputs, sink: sink) })
        case .mapping(let entries):
            n.content = .mapping(entries.map { entry in
                var e = entry
                e.value = walk(entry.value, path: path + "." + entry.key, values: values, inputs: inputs, sink: sink)
                return e
            })
        }
        return n
    }

    /// Replaces every `{{vars.NAME}}` and `{{env.NAME}}` / `{{env.NAME:-default}}` in `text`;
    /// other `{{…}}` (the per-host ones) are left as they are. `values` nil: vars not allowed.
    static func substitute(_ text: String, mark: Mark, path: String, values: [String: String]?, inputs: PlanInputs, sink: DiagnosticSink) -> String? {
        var out = ""
        var rest = Substring(text)
        var failed = false
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) else {
                out += rest[open.lowerBound...]
                rest = ""
                break
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if inner.hasPrefix("vars.") {
                let name = String(inner.dropFirst(5))
                if let values {
                    if let value = values[name] { out += value } else {
                        let declared = values.keys.sorted()
                        sink.error(mark, path, "there is no variable '\(name)'" + (declared.isEmpty ? "; declare it under 'vars:'" : "; declared: \(declared.joined(separator: ", "))"),
                                   suggestion: Suggestion.closest(to: name, in: declared))
                        failed = true
                    }
                } else {
                    sink.error(mark, path, "a variable's default cannot use another variable ('{{\(inner)}}'); use the environment or a plain value")
                    failed = true
                }
            } else if inner.hasPrefix("env.") {
                let body = inner.dropFirst(4)
                let (name, fallback): (Substring, Substring?) = body.range(of: ":-").map { (body[..<$0.lowerBound], body[$0.upperBound...]) } ?? (body, nil)
                if !isName(name) {
                    sink.error(mark, path, "'{{\(inner)}}': an environment variable name is made of \(namePattern)")
                    failed = true
                } else if let value = inputs.environment[String(name)] {
                    out += value
                } else if let fallback {
                    out += fallback
                } else {
                    sink.error(mark, path, "the environment variable \(name) is not set (give it a default with {{env.\(name):-VALUE}})")
                    failed = true
                }
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        out += rest
        return failed ? nil : out
    }
}
