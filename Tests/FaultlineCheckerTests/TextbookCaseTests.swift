import FaultlineChecker
import Testing

/// Small histories with known answers, from the literature. Registers start absent (nil).
@Suite struct TextbookCaseTests {
    /// One operation; times in ns, `complete` nil for indeterminate operations.
    static func op(_ client: Int, _ kind: OperationKind, _ value: String?, expected: String? = nil,
                   _ outcome: Outcome = .ok, _ invoke: UInt64, _ complete: UInt64?) -> Operation {
        Operation(client: client, kind: kind, value: value, expected: expected, outcome: outcome,
                  invoke: invoke, completion: outcome == .info ? nil : complete)
    }

    static func verdict(_ operations: [Operation], _ model: LinearizabilityChecker.HistoryModel = .register) throws -> Verdict {
        try LinearizabilityChecker.check(History(operations: operations), model: model).verdict
    }

    // MIT 6.824 (2017) Quiz II answers, section VII (the case Porcupine's TestRegisterModel
    // uses): the read of the initial value is concurrent with the write, so it may precede it.
    @Test func quizReadOfInitialValueConcurrentWithWrite() throws {
        #expect(try Self.verdict([
            Self.op(0, .write, "100", .ok, 0, 100),
            Self.op(1, .read, "100", .ok, 25, 75),
            Self.op(2, .read, nil, .ok, 30, 60),
        ]) == .ok)
    }

    // Same quiz: once a read that completed has seen the new value, a later read cannot
    // see the old one (the "new-old inversion" linearizability forbids).
    @Test func quizNewOldInversion() throws {
        let history = History(operations: [
            Self.op(0, .write, "200", .ok, 0, 100),
            Self.op(1, .read, "200", .ok, 10, 30),
            Self.op(2, .read, nil, .ok, 40, 90),
        ])
        let result = try LinearizabilityChecker.check(history, model: .register)
        #expect(result.verdict == .illegal)
        let text = try #require(result.explanation(history: history))
        // The account names the clients, values and times of the operations involved.
        #expect(text.contains("client 2 read → nil [40, 90]"))
        #expect(text.contains("client 1 read → \"200\" [10, 30]"))
    }

    // Herlihy & Wing (1990), §2: intervals are closed; operations of zero duration at the
    // same instant are concurrent (Porcupine's TestZeroDuration).
    @Test func zeroDurationOperationsAreConcurrent() throws {
        #expect(try Self.verdict([
            Self.op(0, .write, "100", .ok, 0, 100),
            Self.op(1, .read, "100", .ok, 25, 75),
            Self.op(2, .read, nil, .ok, 30, 30),
            Self.op(3, .read, nil, .ok, 30, 30),
        ]) == .ok)
        // An operation invoked exactly when another completes may still precede it.
        #expect(try Self.verdict([
            Self.op(0, .read, "1", .ok, 0, 10),
            Self.op(1, .write, "1", .ok, 10, 20),
        ]) == .ok)
        #expect(try Self.verdict([
            Self.op(0, .read, "1", .ok, 0, 9),
            Self.op(1, .write, "1", .ok, 10, 20),
        ]) == .illegal)
    }

    // Herlihy & Wing (1990) §3.1: a sequential history is linearizable iff it is legal.
    @Test func sequentialHistories() throws {
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .ok, 0, 1), Self.op(0, .read, "1", .ok, 2, 3),
            Self.op(1, .write, "2", .ok, 4, 5), Self.op(0, .read, "2", .ok, 6, 7),
        ]) == .ok)
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .ok, 0, 1), Self.op(1, .write, "2", .ok, 4, 5),
            Self.op(0, .read, "1", .ok, 6, 7),
        ]) == .illegal)
    }

    // Kingsbury, "Strong consistency models" (aphyr.com, 2014) and Knossos' cas-register:
    // a compare-and-set that succeeded was applied at one instant.
    @Test func compareAndSetRegister() throws {
        // write 1; cas 1→2 ok; a read after the cas completed must see 2.
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .ok, 0, 10),
            Self.op(1, .cas, "2", expected: "1", .ok, 20, 30),
            Self.op(2, .read, "1", .ok, 40, 50),
        ], .cas) == .illegal)
        // ... but a read concurrent with the cas may see either.
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .ok, 0, 10),
            Self.op(1, .cas, "2", expected: "1", .ok, 20, 30),
            Self.op(2, .read, "1", .ok, 25, 50),
        ], .cas) == .ok)
        // Two concurrent cas from the same old value cannot both succeed.
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .ok, 0, 10),
            Self.op(1, .cas, "2", expected: "1", .ok, 20, 30),
            Self.op(2, .cas, "3", expected: "1", .ok, 20, 30),
        ], .cas) == .illegal)
        // The register model has no cas: a precise mismatch, not a verdict.
        #expect(throws: ModelMismatch.self) {
            try Self.verdict([Self.op(1, .cas, "2", expected: "1", .ok, 20, 30)], .register)
        }
    }

    // A failed cas (Jepsen `:fail`) means the register did not hold the expected value.
    @Test func failedCompareAndSet() throws {
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .ok, 0, 10),
            Self.op(1, .cas, "2", expected: "1", .fail, 20, 30),
        ], .cas) == .illegal)
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .ok, 0, 10),
            Self.op(1, .cas, "2", expected: "3", .fail, 20, 30),
            Self.op(2, .read, "1", .ok, 40, 50),
        ], .cas) == .ok)
        // Concurrent with a write that changed the value: it may have compared before or after.
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .ok, 0, 10),
            Self.op(2, .write, "4", .ok, 15, 35),
            Self.op(1, .cas, "2", expected: "1", .fail, 20, 30),
        ], .cas) == .ok)
    }

    // Failed writes and reads definitely had no effect.
    @Test func failedOperationsHaveNoEffect() throws {
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .fail, 0, 10),
            Self.op(1, .read, "1", .ok, 20, 30),
        ]) == .illegal)
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .ok, 0, 10),
            Self.op(1, .read, "7", .fail, 20, 30),
            Self.op(1, .read, "1", .ok, 40, 50),
        ]) == .ok)
    }

    // Indeterminate operations (Knossos, Porcupine): effect at any point after the call, or never.
    @Test func indeterminateWriteMayTakeEffectLate() throws {
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .info, 0, nil),
            Self.op(1, .read, nil, .ok, 10, 20),
            Self.op(1, .read, "1", .ok, 1_000, 1_010),
        ]) == .ok)
    }

    @Test func indeterminateWriteMayNeverTakeEffect() throws {
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .info, 0, nil),
            Self.op(1, .read, nil, .ok, 10, 20),
            Self.op(1, .read, nil, .ok, 1_000, 1_010),
        ]) == .ok)
    }

    @Test func indeterminateWriteTakesEffectOnce() throws {
        // Seen, then unseen: not possible (nothing writes nil back).
        #expect(try Self.verdict([
            Self.op(0, .write, "1", .info, 0, nil),
            Self.op(1, .read, "1", .ok, 10, 20),
            Self.op(1, .read, nil, .ok, 30, 40),
        ]) == .illegal)
    }

    @Test func indeterminateWriteNotBeforeItsCall() throws {
        #expect(try Self.verdict([
            Self.op(1, .read, "1", .ok, 10, 20),
            Self.op(0, .write, "1", .info, 50, nil),
        ]) == .illegal)
    }

    @Test func indeterminateCompareAndSetMayApplyOrNot() throws {
        let base = [Self.op(0, .write, "1", .ok, 0, 10),
                    Self.op(1, .cas, "2", expected: "1", .info, 20, nil)]
        #expect(try Self.verdict(base + [Self.op(2, .read, "2", .ok, 500, 510)], .cas) == .ok)
        #expect(try Self.verdict(base + [Self.op(2, .read, "1", .ok, 500, 510)], .cas) == .ok)
        #expect(try Self.verdict(base + [Self.op(2, .read, "2", .ok, 500, 510),
                                         Self.op(2, .read, "1", .ok, 600, 610)], .cas) == .illegal)
    }

    // P-compositionality (Herlihy & Wing 1990, Theorem 1; Horn & Kroening 2015): keys are
    // independent objects, and the violation names its key.
    @Test func keysAreIndependent() throws {
        var first = Self.op(0, .write, "1", .ok, 0, 10); first.key = "a"
        var second = Self.op(1, .read, "1", .ok, 20, 30); second.key = "b"
        let result = try LinearizabilityChecker.check(History(operations: [first, second]), model: .register)
        #expect(result.verdict == .illegal)
        #expect(result.firstIllegal?.label == "b")
        #expect(result.partitions.map(\.label) == ["a", "b"])
    }

    // Porcupine's kv model: put sets, append concatenates, get returns the string.
    @Test func keyValueAppend() throws {
        func kv(_ client: Int, _ kind: OperationKind, _ value: String, _ invoke: UInt64, _ complete: UInt64) -> Operation {
            Operation(client: client, kind: kind, key: "k", value: value, outcome: .ok, invoke: invoke, completion: complete)
        }
        #expect(try Self.verdict([kv(0, .append, "x", 0, 10), kv(1, .append, "y", 0, 10),
                                  kv(2, .read, "yx", 20, 30)], .kv) == .ok)
        #expect(try Self.verdict([kv(0, .append, "x", 0, 10), kv(1, .append, "y", 11, 20),
                                  kv(2, .read, "yx", 30, 40)], .kv) == .illegal)
        #expect(try Self.verdict([kv(0, .write, "a", 0, 10), kv(1, .append, "b", 5, 20),
                                  kv(2, .read, "ab", 30, 40)], .kv) == .ok)
        #expect(try Self.verdict([kv(2, .read, "", 0, 5)], .kv) == .ok)
    }

    // The model API itself: any value with an initial state and a pure step, e.g. a counter.
    @Test func customModel() {
        enum CounterInput: Sendable { case increment, read }
        let counter = Model<Int, CounterInput, Int>(initialState: 0) { state, input, output in
            switch input {
            case .increment: return state + 1
            case .read: return output == state ? state : nil
            }
        }
        let ops = [
            ModelOperation(client: 0, input: CounterInput.increment, output: 0, call: 0, ret: 10, source: 0),
            ModelOperation(client: 1, input: CounterInput.increment, output: 0, call: 0, ret: 10, source: 1),
            ModelOperation(client: 2, input: CounterInput.read, output: 1, call: 0, ret: 10, source: 2),
            ModelOperation(client: 2, input: CounterInput.read, output: 2, call: 20, ret: 30, source: 3),
        ]
        #expect(LinearizabilityChecker.check(counter, operations: ops).verdict == .ok)
        var bad = ops
        bad[3].output = 3
        let result = LinearizabilityChecker.check(counter, operations: bad)
        #expect(result.verdict == .illegal)
        #expect(result.firstIllegal?.blocked == 3)
    }
}
