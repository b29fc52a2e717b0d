/// A regular expression for command-line selectors that matches in linear time.
///
/// A selector's pattern comes from a caller and runs as root against every command line of
/// the host, so a backtracking engine is a denial of service waiting for one pattern such
/// as `(a+)+$`. This is a Thompson NFA simulated with a set of states (the Pike VM without
/// captures): time is O(pattern × text) whatever the input, memory is O(pattern).
///
/// Syntax (the common subset of POSIX ERE and Swift's Regex): literals, `.`, classes
/// `[a-z]` `[^…]`, `\d \w \s \D \W \S`, escapes `\. \\ \t \n …`, anchors `^ $`, groups
/// `( )` `(?: )`, `|`, and the quantifiers `* + ? {n} {n,} {n,m}` (a trailing `?` — lazy —
/// is accepted and changes nothing, since a selector only asks whether a match exists).
/// Backreferences and lookaround, which no linear-time engine can offer, are refused
/// with their position, as are patterns longer than `maximumLength` or programs larger
/// than `maximumProgram`. Matching is unanchored ("contains"), on Unicode scalars.
public struct CommandLinePattern: Sendable, Hashable, CustomStringConvertible {
    public let source: String
    let program: [Instruction]

    public static let maximumLength = 1024
    public static let maximumProgram = 20_000
    static let maximumRepeat = 100

    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        /// Offset (in Unicode scalars, from 0) where the problem is.
        public var offset: Int
        public var reason: String
        public var description: String { "\(reason) at offset \(offset)" }
    }

    public init(_ source: String) throws(SyntaxError) {
        let scalars = Array(source.unicodeScalars)
        guard scalars.count <= Self.maximumLength else {
            throw SyntaxError(offset: Self.maximumLength, reason: "pattern longer than \(Self.maximumLength) characters")
        }
        var parser = Parser(scalars: scalars)
        let tree = try parser.parseAlternation()
        if parser.position < scalars.count {
            throw SyntaxError(offset: parser.position, reason: "unbalanced ')'")
        }
        var compiler = Compiler()
        try compiler.emit(tree)
        compiler.code.append(.match)
        guard compiler.code.count <= Self.maximumProgram else {
            throw SyntaxError(offset: 0, reason: "pattern expands to more than \(Self.maximumProgram) states (lower the {n,m} counts)")
        }
        self.source = source
        self.program = compiler.code
    }

    public var description: String { "/\(source)/" }

    /// True when the pattern matches somewhere in `text`.
    public func matches(_ text: String) -> Bool {
        let n = program.count
        var current = StateSet(capacity: n)
        var next = StateSet(capacity: n)
        var stack: [Int] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        // Each position adds a fresh start thread: that is what makes the search unanchored.
        while true {
            let atStart = index == 0, atEnd = index == scalars.count
            if add(0, to: &current, atStart: atStart, atEnd: atEnd, stack: &stack) { return true }
            if atEnd { return false }
            let c = scalars[index]
            next.clear()
            for pc in current.members {
                if case .scalar(let set) = program[pc], set.contains(c) {
                    if add(pc + 1, to: &next, atStart: false, atEnd: index + 1 == scalars.count, stack: &stack) { return true }
                }
            }
            swap(&current, &next)
            index += 1
        }
    }

    /// Follows the ε-edges from `pc` into `set`; true when `match` is reached.
    private func add(_ pc: Int, to set: inout StateSet, atStart: Bool, atEnd: Bool, stack: inout [Int]) -> Bool {
        stack.removeAll(keepingCapacity: true)
        stack.append(pc)
        while let pc = stack.popLast() {
            guard set.insert(pc) else { continue }
            switch program[pc] {
            case .match: return true
            case .jump(let to): stack.append(to)
            case .split(let a, let b): stack.append(b); stack.append(a)
            case .lineStart: if atStart { stack.append(pc + 1) }
            case .lineEnd: if atEnd { stack.append(pc + 1) }
            case .scalar: break
            }
        }
        return false
    }

    enum Instruction: Sendable, Hashable {
        case scalar(ScalarSet)
        case split(Int, Int)
        case jump(Int)
        case lineStart
        case lineEnd
        case match
    }

    /// A set of Unicode scalars as ranges, possibly negated.
    struct ScalarSet: Sendable, Hashable {
        var ranges: [ClosedRange<UInt32>]
        var negated: Bool
        func contains(_ c: Unicode.Scalar) -> Bool {
            let v = c.value
            return ranges.contains { $0.contains(v) } != negated
        }
        /// `.`: anything but a newline, as in POSIX, Foundation and Swift's Regex.
        static let any = ScalarSet(ranges: [0...9, 11...0x10FFFF], negated: false)
        static let digit = ScalarSet(ranges: [48...57], negated: false)
        static let word = ScalarSet(ranges: [48...57, 65...90, 95...95, 97...122], negated: false)
        static let space = ScalarSet(ranges: [9...13, 32...32], negated: false)
    }

    /// A sparse set of program counters, cleared in O(1) by a generation counter.
    struct StateSet {
        var generation: [UInt32]
        var current: UInt32 = 1
        var members: [Int] = []
        init(capacity: Int) { generation = Array(repeating: 0, count: capacity) }
        mutating func insert(_ pc: Int) -> Bool {
            if generation[pc] == current { return false }
            generation[pc] = current
            members.append(pc)
            return true
        }
        mutating func clear() {
            current &+= 1
            if current == 0 { generation = Array(repeating: 0, count: generation.count); current = 1 }
            members.removeAll(keepingCapacity: true)
        }
    }

    indirect enum Node {
        case empty
        case set(ScalarSet)
        case lineStart, lineEnd
        case concat([Node])
        case alternate([Node])
        case repeatNode(Node, min: Int, max: Int?)
    }

    struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0
        var depth = 0

        func error(_ reason: String, at offset: Int? = nil) -> SyntaxError {
            SyntaxError(offset: offset ?? position, reason: reason)
        }
        var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

        mutating func parseAlternation() throws(SyntaxError) -> Node {
            var branches = [try parseConcatenation()]
            while peek == "|" {
                position += 1
                branches.append(try parseConcatenation())
            }
            return branches.count == 1 ? branches[0] : .alternate(branches)
        }

        mutating func parseConcatenation() throws(SyntaxError) -> Node {
            var items: [Node] = []
            while let c = peek, c != "|", c != ")" {
                // Only a bare anchor refuses a quantifier: `(?:$)*` is a group, as in ICU.
                let bareAnchor = c == "^" || c == "$"
                var atom = try parseAtom()
                atom = try parseQuantifiers(atom, bareAnchor: bareAnchor)
                items.append(atom)
            }
            return items.isEmpty ? .empty : (items.count == 1 ? items[0] : .concat(items))
        }

        mutating func parseQuantifiers(_ atom: Node, bareAnchor: Bool) throws(SyntaxError) -> Node {
            var node = atom
            while let c = peek {
                let start = position
                var bounds: (Int, Int?)
                switch c {
                case "*": position += 1; bounds = (0, nil)
                case "+": position += 1; bounds = (1, nil)
                case "?": position += 1; bounds = (0, 1)
                case "{":
                    guard let parsed = try parseBraces() else { return node }
                    bounds = parsed
                default: return node
                }
                if bareAnchor, case .lineStart = node { throw error("a quantifier cannot follow '^'", at: start) }
                if bareAnchor, case .lineEnd = node { throw error("a quantifier cannot follow '$'", at: start) }
                if peek == "?" { position += 1 }  // lazy: the same answer for "is there a match"
                if peek == "+" { throw error("possessive quantifiers are not supported") }
                node = .repeatNode(node, min: bounds.0, max: bounds.1)
            }
            return node
        }

        /// `{n}`, `{n,}`, `{n,m}`; nil (and nothing consumed) when `{` is a literal brace.
        mutating func parseBraces() throws(SyntaxError) -> (Int, Int?)? {
            let start = position
            var i = position + 1
            func number() -> Int? {
                var value = 0, digits = 0
                while i < scalars.count, ("0"..."9").contains(scalars[i]) {
                    value = value * 10 + Int(scalars[i].value - 48); digits += 1; i += 1
                    if value > 100_000 { return value }
                }
                return digits == 0 ? nil : value
            }
            guard let low = number() else { return nil }
            var high: Int? = low
            if i < scalars.count, scalars[i] == "," {
                i += 1
                high = number()
            }
            guard i < scalars.count, scalars[i] == "}" else { return nil }
            position = i + 1
            if low > CommandLinePattern.maximumRepeat || (high ?? 0) > CommandLinePattern.maximumRepeat {
                throw error("repetition counts above \(CommandLinePattern.maximumRepeat) are not supported", at: start)
            }
            if let high, high < low { throw error("{\(low),\(high)}: the maximum is below the minimum", at: start) }
            return (low, high)
        }

        mutating func parseAtom() throws(SyntaxError) -> Node {
            let c = scalars[position]
            switch c {
            case "(":
                let open = position
                position += 1
                if peek == "?" {
                    if position + 1 < scalars.count, scalars[position + 1] == ":" {
                        position += 2
                    } else {
                        throw error("lookaround and other (?…) groups are not supported (only (?:…))", at: open)
                    }
                }
                depth += 1
                if depth > 100 { throw error("groups nested deeper than 100", at: open) }
                let inner = try parseAlternation()
                depth -= 1
                guard peek == ")" else { throw error("missing ')' for the group opened", at: open) }
                position += 1
                return inner
            case "[":
                return .set(try parseClass())
            case ".":
                position += 1
                return .set(.any)
            case "^":
                position += 1
                return .lineStart
            case "$":
                position += 1
                return .lineEnd
            case "\\":
                return .set(try parseEscape(inClass: false))
            case "*", "+", "?":
                throw error("'\(c)' has nothing to repeat")
            default:
                position += 1
                return .set(ScalarSet(ranges: [c.value...c.value], negated: false))
            }
        }

        mutating func parseEscape(inClass: Bool) throws(SyntaxError) -> ScalarSet {
            let start = position
            position += 1
            guard let c = peek else { throw error("a pattern cannot end with '\\'", at: start) }
            position += 1
            func one(_ s: Unicode.Scalar) -> ScalarSet { ScalarSet(ranges: [s.value...s.value], negated: false) }
            switch c {
            case "d": return .digit
            case "w": return .word
            case "s": return .space
            case "D": var s = ScalarSet.digit; s.negated = true; return s
            case "W": var s = ScalarSet.word; s.negated = true; return s
            case "S": var s = ScalarSet.space; s.negated = true; return s
            case "t": return one("\t")
            case "n": return one("\n")
            case "r": return one("\r")
            case "0": return one("\0")
            case "1"..."9": throw error("backreferences are not supported (they cannot be matched in linear time)", at: start)
            case "b", "B", "A", "z", "Z", "G", "k", "p", "P", "x", "u", "Q", "E":
                throw error("'\\\(c)' is not supported", at: start)
            default:
                if c.properties.isAlphabetic || c.properties.numericType != nil {
                    throw error("'\\\(c)' is not a known escape", at: start)
                }
                return one(c)
            }
        }

        mutating func parseClass() throws(SyntaxError) -> ScalarSet {
            let open = position
            position += 1
            var negated = false
            if peek == "^" { negated = true; position += 1 }
            var ranges: [ClosedRange<UInt32>] = []
            var first = true
            while true {
                guard let c = peek else { throw error("missing ']' for the class opened", at: open) }
                if c == "]" && !first { position += 1; break }
                first = false
                if c == "[" && position + 1 < scalars.count && scalars[position + 1] == ":" {
                    throw error("POSIX classes such as [:alpha:] are not supported; use ranges")
                }
                var low: UInt32
                if c == "\\" {
                    let escaped = try parseEscape(inClass: true)
                    if escaped.negated || escaped.ranges.count != 1 || escaped.ranges[0].count != 1 {
                        guard !escaped.negated else { throw error("negated escapes (\\D, \\W, \\S) inside a class are not supported") }
                        ranges += escaped.ranges
                        continue
                    }
                    low = escaped.ranges[0].lowerBound
                } else {
                    low = c.value
                    position += 1
                }
                if peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                    position += 1
                    let highScalar = scalars[position]
                    var high: UInt32
                    if highScalar == "\\" {
                        let escaped = try parseEscape(inClass: true)
                        guard !escaped.negated, escaped.ranges.count == 1, escaped.ranges[0].count == 1 else {
                            throw error("a class range must end in a single character")
                        }
                        high = escaped.ranges[0].lowerBound
                    } else {
                        high = highScalar.value
                        position += 1
                    }
                    guard low <= high else { throw error("class range is out of order", at: position - 1) }
                    ranges.append(low...high)
                } else {
                    ranges.append(low...low)
                }
            }
            return ScalarSet(ranges: ranges, negated: negated)
        }
    }

    struct Compiler {
        var code: [Instruction] = []

        mutating func emit(_ node: Node) throws(SyntaxError) {
            guard code.count <= CommandLinePattern.maximumProgram else {
                throw SyntaxError(offset: 0, reason: "pattern expands to more than \(CommandLinePattern.maximumProgram) states (lower the {n,m} counts)")
            }
            switch node {
            case .empty: break
            case .set(let s): code.append(.scalar(s))
            case .lineStart: code.append(.lineStart)
            case .lineEnd: code.append(.lineEnd)
            case .concat(let items): for item in items { try emit(item) }
            case .alternate(let branches):
                var jumps: [Int] = []
                for (i, branch) in branches.enumerated() {
                    if i < branches.count - 1 {
                        let split = code.count
                        code.append(.split(0, 0))
                        try emit(branch)
                        jumps.append(code.count)
                        code.append(.jump(0))
                        code[split] = .split(split + 1, code.count)
                    } else {
                        try emit(branch)
                    }
                }
                for j in jumps { code[j] = .jump(code.count) }
            case .repeatNode(let inner, let min, let max):
                for _ in 0..<min { try emit(inner) }
                if let max {
                    // Optional copies, each one a split ahead of it: x{2,4} = xx(x(x)?)?.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(code.count)
                        code.append(.split(0, 0))
                        try emit(inner)
                    }
                    for s in splits { code[s] = .split(s + 1, code.count) }
                } else {
                    // Kleene star: L: split(body, out); body; jump L. An inner that can match
                    // empty cannot loop forever: the state set visits each pc once per step.
                    let loop = code.count
                    code.append(.split(0, 0))
                    try emit(inner)
                    code.append(.jump(loop))
                    code[loop] = .split(loop + 1, code.count)
                }
            }
        }
    }
}
