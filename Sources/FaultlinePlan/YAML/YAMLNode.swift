/// A YAML node in Faultline's own Sendable form, converted from Yams right after parsing
/// so the rest of the plan code never sees Yams types.
struct YAMLNode: Sendable {
    enum Content: Sendable {
        /// `plain` is false for quoted and block scalars, whose text is never a number,
        /// boolean or null.
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([Entry])
    }

    struct Entry: Sendable {
        var key: String
        var keyMark: Mark
        var value: YAMLNode
    }

    var content: Content
    var mark: Mark

    var isNull: Bool {
        if case .scalar(let s, true) = content { return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }
        return false
    }

    /// A short description of what the node is, for "found …" in messages.
    var found: String {
        switch content {
        case .scalar(let s, let plain):
            if isNull { return "nothing (null)" }
            let shown = s.count > 40 ? String(s.prefix(37)) + "..." : s
            return plain ? "'\(shown)'" : "the string \"\(shown)\""
        case .sequence(let items): return "a list of \(items.count)"
        case .mapping: return "a mapping"
        }
    }
}
