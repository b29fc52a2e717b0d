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
            // Reads sorted by invocation, so "reads that began after t" is a suffix.
            let sortedReads = reads.sorted { ops[$0].invoke < ops[$1].invoke }
            let readStarts = sortedReads.map { ops[$0].invoke }
            for w in writes where ops[w].outcome == .ok {
                let write = ops[w]
                guard let completed = write.completion else { continue }
                var first = readStarts.partitioningIndex { $0 > completed }
                if first == sortedReads.count { unverified += 1; continue }
                // Writes that may have overwritten `w`: they do not strictly precede it.
                let successors = writes.filter { other in
                    other != w && !(ops[other].outcome == .ok && (ops[other].completion ?? .max) < write.invoke)
                }
                var reflected = false
                while first < sortedReads.count && !reflected {
                    let value = ops[sortedReads[first]].value
                    reflected = reflects(value, write: write, successors: successors, ops: ops, semantics: semantics)
                    first += 1
                }
                if !reflected {
                    let later = Array(sortedReads[readStarts.partitioningIndex { $0 > completed }...])
                    lost.append(LostWrite(write: w, laterReads: later))
                }
            }
        }
        lost.sort { $0.write < $1.write }
        return Result(lost: lost, unverified: unverified)
    }

    static func reflects(_ value: String?, write: Operation, successors: [Int], ops: [Operation],
                         semantics: Semantics) -> Bool {
        switch semantics {
        case .register:
            if value == write.value { return true }
            return successors.contains { ops[$0].value == value }
        case .appending:
            guard let value else { return false }
            if let written = write.value, value.contains(written) { return true }
            return successors.contains { ops[$0].kind == .write && ops[$0].value.map(value.hasPrefix) == true }
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
