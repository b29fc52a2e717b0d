/// One line of /proc/PID/maps, parsed without I/O.
public struct MemoryMapping: Equatable, Sendable {
    public var start: UInt64
    public var end: UInt64
    /// `r-xp` and the like.
    public var permissions: String
    /// Path or pseudo-name (`[vdso]`, `[stack]`); empty for anonymous mappings.
    public var name: String

    public var isExecutable: Bool { permissions.dropFirst(2).first == "x" }

    public static func parse(_ text: String) -> [MemoryMapping] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5 else { return nil }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16)
            else { return nil }
            let name = fields.count == 6 ? String(fields[5].trimmingSpaces) : ""
            return MemoryMapping(start: start, end: end, permissions: String(fields[1]), name: name)
        }
    }

    /// The `[vdso]` mapping, if the process has one.
    public static func vdso(in mappings: [MemoryMapping]) -> MemoryMapping? {
        mappings.first { $0.name == "[vdso]" }
    }
}
