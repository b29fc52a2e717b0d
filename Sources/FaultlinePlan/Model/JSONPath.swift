/// The small JSONPath subset probes need: `$`, `.name`, `['name']` and `[index]`
/// (negative indexes count from the end), e.g. `$.members[0].name`.
public struct JSONPath: Sendable, Hashable {
    public enum Component: Sendable, Hashable { case key(String), index(Int) }
    public var components: [Component]

    public static func parse(_ text: String) -> JSONPath? {
        var chars = Substring(text)
        guard chars.first == "$" else { return nil }
        chars = chars.dropFirst()
        var out: [Component] = []
        while let c = chars.first {
            if c == "." {
                chars = chars.dropFirst()
                let name = chars.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { return nil }
                out.append(.key(String(name)))
                chars = chars.dropFirst(name.count)
            } else if c == "[" {
                guard let close = chars.firstIndex(of: "]") else { return nil }
                let inside = chars[chars.index(after: chars.startIndex)..<close]
                if let n = Int(inside) {
                    out.append(.index(n))
                } else if inside.count >= 2, let q = inside.first, q == "'" || q == "\"", inside.last == q {
                    out.append(.key(String(inside.dropFirst().dropLast())))
                } else {
                    return nil
                }
                chars = chars[chars.index(after: close)...]
            } else {
                return nil
            }
        }
        return JSONPath(components: out)
    }

    /// The value at this path inside a `JSONSerialization` tree, or nil.
    public func evaluate(_ root: Any) -> Any? {
        var current: Any = root
        for component in components {
            switch component {
            case .key(let k):
                guard let object = current as? [String: Any], let next = object[k] else { return nil }
                current = next
            case .index(let i):
                guard let array = current as? [Any] else { return nil }
                let index = i < 0 ? array.count + i : i
                guard array.indices.contains(index) else { return nil }
                current = array[index]
            }
        }
        return current
    }
}
