import FaultlineChecker
import Testing

/// LostWriteChecker on large histories (it used to compare every write with every later read
/// and every other write: minutes for a few thousand operations), and against a direct
/// transcription of its definition on many small random histories.
@Suite struct LostWriteScaleTests {
    /// The definition, read literally: O(W²·R) per key, for small histories only.
    static func reference(_ history: History, semantics: LostWriteChecker.Semantics) -> [Int] {
        let ops = history.operations
        let writes = ops.indices.filter {
            [.write, .append, .cas].contains(ops[$0].kind) && (ops[$0].outcome == .ok || ops[$0].outcome == .info)
        }
        var lost: [Int] = []
        for w in writes where ops[w].outcome == .ok {
            guard let completed = ops[w].completion else { continue }
            let later = ops.indices.filter {
                ops[$0].kind == .read && ops[$0].outcome == .ok && ops[$0].key == ops[w].key && ops[$0].invoke > completed
            }
            if later.isEmpty { continue }
            let successors = writes.filter {
                $0 != w && ops[$0].key == ops[w].key
                    && !(ops[$0].outcome == .ok && (ops[$0].completion ?? .max) < ops[w].invoke)
            }
            let reflected = later.contains { r in
                let value = ops[r].value
                switch semantics {
                case .register:
                    return value == ops[w].value || successors.contains { ops[$0].value == value }
                case .appending:
                    guard let value else { return false }
                    if let written = ops[w].value, value.contains(written) { return true }
                    return successors.contains { ops[$0].kind == .write && ops[$0].value.map(value.hasPrefix) == true }
                }
            }
            if !reflected { lost.append(w) }
        }
        return lost
    }

    /// Small random histories on two keys with repeated values, indeterminate writes and reads
    /// of stale, current or concatenated values: lost writes are common.
    static func randomHistory(seed: UInt64, appending: Bool) -> History {
        var random = Xoshiro256(seed: seed)
        var operations: [Operation] = []
        let values = ["a", "b", "c", "ab", "ba", "abc", "cab"]
        for index in 0..<Int.random(in: 2...14, using: &random) {
            let invoke = UInt64.random(in: 0...20, using: &random)
            let kinds: [OperationKind] = appending ? [.read, .write, .append] : [.read, .write, .cas]
            let kind = kinds.randomElement(using: &random)!
            var op = Operation(client: index, kind: kind, key: Bool.random(using: &random) ? "x" : "y",
                               value: values.randomElement(using: &random), outcome: .ok,
                               invoke: invoke, completion: invoke + UInt64.random(in: 0...6, using: &random))
            if kind == .read && Int.random(in: 0..<5, using: &random) == 0 { op.value = nil }
            if kind != .read && Int.random(in: 0..<5, using: &random) == 0 { op.outcome = .info; op.completion = nil }
            operations.append(op)
        }
        return History(operations: operations)
    }

    @Test func agreesWithTheDefinition() {
        var anyLost = 0
        for seed: UInt64 in 1...2_000 {
            for appending in [false, true] {
                let history = Self.randomHistory(seed: seed, appending: appending)
                let semantics: LostWriteChecker.Semantics = appending ? .appending : .register
                let found = LostWriteChecker.check(history, semantics: semantics).lost.map(\.write)
                #expect(found == Self.reference(history, semantics: semantics), "seed \(seed) appending \(appending)")
                if !found.isEmpty { anyLost += 1 }
            }
        }
        #expect(anyLost > 200, "the random histories must exercise lost writes (\(anyLost))")
    }

    /// 3 000 acknowledged writes one after another, then 1 500 reads that all return the
    /// first value: every later write is lost. The old quadratic code needed hours for this.
    @Test(.timeLimit(.minutes(1)))
    func manyLostRegisterWrites() {
        var operations: [Operation] = []
        for index in 0..<3_000 {
            let start = UInt64(index) * 10
            operations.append(Operation(client: 0, kind: .write, key: "k", value: "v\(index)", outcome: .ok,
                                        invoke: start, completion: start + 5))
        }
        for index in 0..<1_500 {
            let start = 100_000 + UInt64(index) * 10
            operations.append(Operation(client: 1 + index % 7, kind: .read, key: "k", value: "v0", outcome: .ok,
                                        invoke: start, completion: start + 5))
        }
        let result = LostWriteChecker.check(History(operations: operations), semantics: .register)
        #expect(result.lost.count == 2_999)
        #expect(result.lost.first?.write == 1 && result.lost.last?.write == 2_999)
        #expect(result.lost.first?.laterReads.count == 1_500)
        #expect(result.unverified == 0)
    }

    /// 2 000 appends one after another, then 1 000 reads that return only the first: every
    /// later append is lost; a put concurrent with the last append, seen by the reads as a
    /// prefix, would explain them all.
    @Test(.timeLimit(.minutes(1)))
    func manyLostAppends() {
        var operations: [Operation] = []
        for index in 0..<2_000 {
            let start = UInt64(index) * 10
            operations.append(Operation(client: 0, kind: .append, key: "k", value: "[a\(index)]", outcome: .ok,
                                        invoke: start, completion: start + 5))
        }
        for index in 0..<1_000 {
            let start = 100_000 + UInt64(index) * 10
            operations.append(Operation(client: 1, kind: .read, key: "k", value: "[a0]", outcome: .ok,
                                        invoke: start, completion: start + 5))
        }
        let history = History(operations: operations)
        #expect(LostWriteChecker.check(history, semantics: .appending).lost.count == 1_999)

        var explained = history
        explained.operations.append(Operation(client: 2, kind: .write, key: "k", value: "[p]", outcome: .ok,
                                              invoke: 19_990, completion: 50_000))
        for index in 2_000..<3_000 { explained.operations[index].value = "[p][a1999]" }
        // The put began before the last append completed, so it may have overwritten every
        // append; the last append's value is in the reads.
        #expect(LostWriteChecker.check(explained, semantics: .appending).lost.isEmpty)
    }
}
