#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds acknowledged writes that no later read can see.
///
/// A write `w` (outcome ok: write/put, append, or a cas that swapped) to key `k` is *lost*
/// when at least one ok read of `k` began after `w` completed and none of those reads
/// reflects `w`. A read *reflects* `w` when its value could only be produced with `w` in
/// effect or legitimately superseded:
/// - register semantics: the read returned `w`'s value, or the value of a write that
///   does not strictly precede `w` in real time (it may have overwritten `w`);
/// - append semantics (`.appending`): the read's value contains `w`'s value, or begins
///   with the value of a put that does not strictly precede `w`.
/// The final reads a recorder takes after healing are such later reads.
///
/// Sound with respect to linearizability: a linearizable history has no lost write, so a
/// finding is a definite violation, found without any search (useful when the
/// linearizability search runs out of time). Values are assumed unique per write; with
/// repeated values the check can only miss losses, never invent them.
public enum LostWriteChecker {
    public enum Semantics: Sendable { case register, appending }

    public struct LostWrite: Sendable, Equatable {
        /// Index of the lost write in `History.operations`.
        public var write: Int
        /// The later reads of its key, none of which reflects it (indices).
        public var laterReads: [Int]

        public init(write: Int, laterReads: [Int]) {
            self.write = write
            self.laterReads = laterReads
        }
    }

    public struct Result: Sendable {
        public var lost: [LostWrite]
        /// Acknowledged writes with no later read at all: they cannot be verified.
        public var unverified: Int
        public var verdict: Verdict { lost.isEmpty ? .ok : .illegal }
    }

    public static func check(_ history: History, semantics: Semantics) -> Result {
        let ops = history.operations
        var byKey: [String: (writes: [Int], reads: [Int])] = [:]
        for (index, operation) in ops.enumerated() {
            switch (operation.kind, operation.outcome) {
            case (.read, .ok): byKey[operation.key, default: ([], [])].reads.append(index)
            case (.write, .ok), (.append, .ok), (.cas, .ok), (.write, .info), (.append, .info), (.cas, .info):
                byKey[operation.key, default: ([], [])].writes.append(index)
            default: break
            }
        }
        var lost: [LostWrite] = []
        var unverified = 0
        for key in byKey.keys.sorted() {
            let (writes, reads) = byKey[key]!
            let found = check(writes: writes, reads: reads, ops: ops, semantics: semantics)
            lost += found.lost
            unverified += found.unverified
        }
        lost.sort { $0.write < $1.write }
        return Result(lost: lost, unverified: unverified)
    }

    /// One key, in O((W + R) log R) for registers (plus the length of the values read, for
    /// appends), instead of comparing each write with each later read and each other write.
    ///
    /// A write `x` does not strictly precede `w` when it is not an ok write that completed
    /// before `w` began, i.e. when `reach(x) ≥ w.invoke`, with `reach(x)` = x's completion if
    /// ok, else infinity. So a read whose value some writes `X` could explain reflects `w`
    /// through a successor iff `max reach(X) ≥ w.invoke` (`x` = `w` itself means the read
    /// returned `w`'s value, which reflects `w` anyway). Suffix maxima of that number over the
    /// reads sorted by invocation answer "does a read that began after `w` completed reflect
    /// `w` through a successor" in O(1) per write.
    static func check(writes: [Int], reads: [Int], ops: [Operation], semantics: Semantics)
        -> (lost: [LostWrite], unverified: Int)
    {
        func reach(_ index: Int) -> UInt64 {
            ops[index].outcome == .ok ? (ops[index].completion ?? .max) : .max
        }
        // Reads sorted by invocation, so "reads that began after t" is a suffix.
        let sortedReads = reads.sorted { (ops[$0].invoke, $0) < (ops[$1].invoke, $1) }
        let readStarts = sortedReads.map { ops[$0].invoke }

        // For each read, the greatest reach among the writes that explain it as a successor
        // (nil: none does).
        var successorReach = [UInt64?](repeating: nil, count: sortedReads.count)
        switch semantics {
        case .register:
            // Writes of the value read (values may repeat: the greatest reach counts).
            var reachOfValue: [String?: UInt64] = [:]
            for w in writes { reachOfValue[ops[w].value] = max(reachOfValue[ops[w].value] ?? 0, reach(w)) }
            for (position, r) in sortedReads.enumerated() {
                successorReach[position] = reachOfValue[ops[r].value]
            }
        case .appending:
            // Puts whose value begins the value read: look up each prefix length (in UTF-8
            // bytes, as the kv model compares values) that a put has.
            var reachOfPut: [String: UInt64] = [:]
            for w in writes where ops[w].kind == .write {
                guard let value = ops[w].value else { continue }
                reachOfPut[value] = max(reachOfPut[value] ?? 0, reach(w))
            }
            let lengths = Set(reachOfPut.keys.map(\.utf8.count)).sorted()
            for (position, r) in sortedReads.enumerated() {
                guard let value = ops[r].value else { continue }
                let bytes = value.utf8
                for length in lengths {
                    if length > bytes.count { break }
                    let prefix = String(decoding: bytes.prefix(length), as: UTF8.self)
                    if let found = reachOfPut[prefix] {
                        successorReach[position] = max(successorReach[position] ?? 0, found)
                    }
                }
            }
        }
        // Suffix maxima: the greatest successor reach among the reads from each position on.
        var suffixReach = [UInt64?](repeating: nil, count: sortedReads.count + 1)
        for position in stride(from: sortedReads.count - 1, through: 0, by: -1) {
            if let here = successorReach[position] {
                suffixReach[position] = max(suffixReach[position + 1] ?? 0, here)
            } else {
                suffixReach[position] = suffixReach[position + 1]
            }
        }
        // Register semantics: the latest invocation of a read of each value.
        var lastReadOfValue: [String?: UInt64] = [:]
        if semantics == .register {
            for r in sortedReads { lastReadOfValue[ops[r].value] = ops[r].invoke }
        }

        var lost: [LostWrite] = []
        var unverified = 0
        for w in writes where ops[w].outcome == .ok {
            let write = ops[w]
            guard let completed = write.completion else { continue }
            let first = readStarts.partitioningIndex { $0 > completed }
            if first == sortedReads.count { unverified += 1; continue }
            if let reached = suffixReach[first], reached >= write.invoke { continue }
            let reflected: Bool
            switch semantics {
            case .register:
                // Some read that began after w completed returned w's value.
                if let last = lastReadOfValue[write.value] { reflected = last > completed } else { reflected = false }
            case .appending:
                // Some later read contains w's value. The scan stops at the first that does,
                // which in a healthy history is one of the next few reads.
                if let written = write.value {
                    reflected = sortedReads[first...].contains { ops[$0].value.map { containsBytes($0, written) } == true }
                } else {
                    reflected = false
                }
            }
            if !reflected {
                lost.append(LostWrite(write: w, laterReads: Array(sortedReads[first...])))
            }
        }
        return (lost, unverified)
    }

    /// Whether `text`'s UTF-8 bytes contain `part`'s (the kv model compares bytes too).
    static func containsBytes(_ text: String, _ part: String) -> Bool {
        var text = text, part = part
        return text.withUTF8 { haystack in
            part.withUTF8 { needle in
                if needle.isEmpty { return true }
                if needle.count > haystack.count { return false }
                // Glibc's memmem is not exported to Swift: first byte, then memcmp.
                let first = needle[0], rest = needle.count - 1
                for start in 0...(haystack.count - needle.count) where haystack[start] == first {
                    if rest == 0 || memcmp(haystack.baseAddress! + start + 1, needle.baseAddress! + 1, rest) == 0 {
                        return true
                    }
                }
                return false
            }
        }
    }

    /// A short account, one line per lost write.
    public static func explanation(_ result: Result, history: History) -> String {
        result.lost.map { lost in
            let write = history.operations[lost.write]
            let reads = lost.laterReads.prefix(3).map { history.operations[$0].summary }
            let more = lost.laterReads.count > 3 ? " and \(lost.laterReads.count - 3) more" : ""
            return "lost write: \(write.summary) was acknowledged, but no later read sees it: "
                + reads.joined(separator: "; ") + more
        }.joined(separator: "\n")
    }
}

extension Array {
    /// Index of the first element satisfying `predicate`, which must be false then true
    /// along the array (binary search).
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
