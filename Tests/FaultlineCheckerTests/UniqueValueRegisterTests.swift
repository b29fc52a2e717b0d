import FaultlineChecker
import Testing

/// The block-order test for registers with a distinct value per write must give exactly the
/// general search's verdicts, must produce a real linearization when it says ok, and must
/// leave every history outside its preconditions to the search. Seeds are fixed and printed.
@Suite struct UniqueValueRegisterTests {
    // MARK: helpers

    static func verdicts(_ history: History, _ model: LinearizabilityChecker.HistoryModel = .register) throws
        -> (fast: LinearizabilityResult, search: LinearizabilityResult)
    {
        (try LinearizabilityChecker.check(history, model: model),
         try LinearizabilityChecker.check(history, model: model, strategy: .searchOnly))
    }

    /// Whether `order` (indices into `history.operations`) is a linearization of the checked
    /// operations of one register: every ok read and every write that did not fail, each once,
    /// in an order that respects real time (an `info` write completes at infinity) and in
    /// which every read returns the last value written.
    static func isLinearization(_ order: [Int], of history: History, key: String = "") -> Bool {
        let ops = history.operations
        let checked = ops.indices.filter {
            ops[$0].key == key
                && ((ops[$0].kind == .read && ops[$0].outcome == .ok) || (ops[$0].kind == .write && ops[$0].outcome != .fail))
        }
        guard order.sorted() == checked else { return false }
        func end(_ i: Int) -> UInt64 { ops[i].outcome == .info ? .max : ops[i].completion! }
        // No later operation may have completed before an earlier one began.
        var laterEnd = UInt64.max
        for i in order.reversed() {
            if laterEnd < ops[i].invoke { return false }
            laterEnd = min(laterEnd, end(i))
        }
        var state: String? = nil
        for i in order {
            if ops[i].kind == .write { state = ops[i].value } else if ops[i].value != state { return false }
        }
        return true
    }

    /// Random small histories of one register with many equal timestamps (a 12-tick clock),
    /// unique written values, reads of random values (written or not, or absent), and some
    /// indeterminate writes: about half are linearizable.
    static func randomSmallHistory(seed: UInt64) -> History {
        var random = Xoshiro256(seed: seed)
        let clients = Int.random(in: 1...4, using: &random)
        var operations: [Operation] = []
        var written: [String] = []
        var client = 0
        for c in 0..<clients {
            var time = UInt64.random(in: 0...3, using: &random)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let duration = UInt64.random(in: 0...4, using: &random)
                var op = Operation(client: client, kind: .read, outcome: .ok, invoke: time, completion: time + duration)
                if Bool.random(using: &random) {
                    op.kind = .write
                    op.value = "w\(c)-\(operations.count)"
                    written.append(op.value!)
                    if Int.random(in: 0..<6, using: &random) == 0 {
                        op.outcome = .info
                        op.completion = nil
                        client += 1000   // the client continues under a new id
                    }
                } else {
                    op.value = "?"   // filled in below, once every written value is known
                }
                operations.append(op)
                time += duration + UInt64.random(in: 0...2, using: &random)
            }
            client += 1
        }
        for i in operations.indices where operations[i].kind == .read {
            let pick = Int.random(in: -2..<written.count, using: &random)
            operations[i].value = pick == -2 ? "never-written" : pick == -1 ? nil : written[pick]
        }
        return History(operations: operations.shuffled(using: &random))
    }

    /// Points one random ok read at a random value written to its key by a write that began
    /// within `window` of the read: linearizable or not, the checkers must agree.
    static func redirectRead(_ history: History, seed: UInt64, window: UInt64) -> History? {
        var random = Xoshiro256(seed: seed)
        let ops = history.operations
        for r in ops.indices.filter({ ops[$0].kind == .read && ops[$0].outcome == .ok }).shuffled(using: &random) {
            let candidates = ops.indices.filter {
                ops[$0].kind == .write && ops[$0].key == ops[r].key && ops[$0].value != ops[r].value
                    && ops[$0].invoke + window >= ops[r].invoke && ops[$0].invoke <= ops[r].completion! + window
            }
            if let w = candidates.randomElement(using: &random) {
                var mutated = history
                mutated.operations[r].value = ops[w].value
                return mutated
            }
        }
        return nil
    }

    // MARK: agreement with the general search

    @Test func agreesOnRandomSmallHistories() throws {
        var counts: [Verdict: Int] = [:]
        for seed: UInt64 in 1...3_000 {
            let history = Self.randomSmallHistory(seed: seed)
            let (fast, search) = try Self.verdicts(history)
            #expect(fast.verdict == search.verdict, "seed \(seed): block test \(fast.verdict), search \(search.verdict)")
            #expect(fast.partitions.allSatisfy { $0.method == .uniqueValueBlocks }, "seed \(seed)")
            if fast.verdict == .ok {
                #expect(Self.isLinearization(fast.partitions[0].order, of: history), "seed \(seed): witness")
            } else {
                #expect(fast.explanation(history: history) != nil, "seed \(seed)")
            }
            counts[fast.verdict, default: 0] += 1
        }
        // Both answers are well represented, so agreement means something.
        #expect(counts[.ok, default: 0] > 500 && counts[.illegal, default: 0] > 500, "\(counts)")
    }

    struct Shape: Sendable, CustomTestStringConvertible {
        var clients: Int
        var operations: Int
        var keys: Int
        var infoRate: Double
        var testDescription: String { "\(clients)×\(operations) keys=\(keys) info=\(infoRate)" }
        var generator: HistoryGenerator {
            var generator = HistoryGenerator(object: .register, clients: clients, operations: operations, keys: keys)
            generator.infoRate = infoRate
            return generator
        }
    }

    static let shapes: [Shape] = [
        Shape(clients: 3, operations: 300, keys: 1, infoRate: 0),
        Shape(clients: 5, operations: 1_000, keys: 1, infoRate: 0.05),
        Shape(clients: 8, operations: 2_000, keys: 4, infoRate: 0.02),
        Shape(clients: 20, operations: 5_000, keys: 20, infoRate: 0.01),
        Shape(clients: 20, operations: 5_000, keys: 20, infoRate: 0),
    ]

    @Test(arguments: shapes)
    func agreesOnGeneratedHistories(_ shape: Shape) throws {
        for seed: UInt64 in [31, 32, 33] {
            let history = shape.generator.generate(seed: seed)
            let (fast, search) = try Self.verdicts(history)
            #expect(fast.verdict == .ok && search.verdict == .ok, "seed \(seed)")
            #expect(fast.partitions.allSatisfy { $0.method == .uniqueValueBlocks }, "seed \(seed)")
            for partition in fast.partitions {
                #expect(Self.isLinearization(partition.order, of: history, key: partition.label),
                        "seed \(seed), key \(partition.label): witness")
            }

            if shape.infoRate == 0 {
                let (stale, staleIndex) = try #require(HistoryGenerator.injectStaleRead(into: history, seed: seed))
                let staleVerdicts = try Self.verdicts(stale)
                #expect(staleVerdicts.fast.verdict == .illegal, "seed \(seed), stale read \(staleIndex)")
                #expect(staleVerdicts.search.verdict == .illegal, "seed \(seed), stale read \(staleIndex)")
                #expect(staleVerdicts.fast.firstIllegal?.label == stale.operations[staleIndex].key)

                let (future, futureIndex) = try #require(HistoryGenerator.injectFutureRead(into: history, seed: seed))
                let futureVerdicts = try Self.verdicts(future)
                #expect(futureVerdicts.fast.verdict == .illegal, "seed \(seed), future read \(futureIndex)")
                #expect(futureVerdicts.search.verdict == .illegal, "seed \(seed), future read \(futureIndex)")
            }

            // Reads pointed at nearby writes: some of these stay linearizable, some do not.
            // (Only without indeterminate writes: refuting those exhausts the search's memory.)
            for offset: UInt64 in 0..<4 where shape.infoRate == 0 {
                let redirected = try #require(Self.redirectRead(history, seed: seed &* 100 &+ offset, window: 3_000))
                let (fastR, searchR) = try Self.verdicts(redirected, .register)
                #expect(fastR.verdict == searchR.verdict, "seed \(seed) offset \(offset): block test \(fastR.verdict), search \(searchR.verdict)")
            }
        }
    }

    @Test func witnessOfOneLargeRegisterIsALinearization() throws {
        var generator = HistoryGenerator(object: .register, clients: 50, operations: 20_000, keys: 1)
        generator.infoRate = 0.01
        let history = generator.generate(seed: 7)
        let result = try LinearizabilityChecker.check(history, model: .register)
        #expect(result.verdict == .ok)
        #expect(result.partitions.first?.method == .uniqueValueBlocks)
        #expect(Self.isLinearization(result.partitions[0].order, of: history))

        var plain = generator
        plain.infoRate = 0
        let (stale, index) = try #require(HistoryGenerator.injectStaleRead(into: plain.generate(seed: 8), seed: 8))
        let staleResult = try LinearizabilityChecker.check(stale, model: .register)
        #expect(staleResult.verdict == .illegal)
        let text = try #require(staleResult.explanation(history: stale))
        #expect(text.contains(stale.operations[index].summary) || text.contains("must each come before the other"), "\(text)")
    }

    // MARK: preconditions

    @Test func historiesOutsideThePreconditionsGoToTheSearch() throws {
        func write(_ client: Int, _ value: String?, _ invoke: UInt64, _ complete: UInt64) -> Operation {
            Operation(client: client, kind: .write, value: value, outcome: .ok, invoke: invoke, completion: complete)
        }
        func read(_ client: Int, _ value: String?, _ invoke: UInt64, _ complete: UInt64) -> Operation {
            Operation(client: client, kind: .read, value: value, outcome: .ok, invoke: invoke, completion: complete)
        }
        // A value written twice: "1", "2", "1" then a read of "1" is fine only with the second "1".
        let repeated = History(operations: [write(0, "1", 0, 10), write(0, "2", 20, 30), write(0, "1", 40, 50),
                                            read(1, "1", 60, 70)])
        let repeatedResult = try LinearizabilityChecker.check(repeated, model: .register)
        #expect(repeatedResult.verdict == .ok)
        #expect(repeatedResult.partitions[0].method == .search)
        // A compare-and-set.
        let cas = History(operations: [write(0, "1", 0, 10),
                                       Operation(client: 1, kind: .cas, value: "2", expected: "1", outcome: .ok,
                                                 invoke: 20, completion: 30),
                                       read(2, "2", 40, 50)])
        let casResult = try LinearizabilityChecker.check(cas, model: .cas)
        #expect(casResult.verdict == .ok)
        #expect(casResult.partitions[0].method == .search)
        // A write of the absent value.
        let absent = History(operations: [write(0, "1", 0, 10), write(0, nil, 20, 30), read(1, nil, 40, 50)])
        let absentResult = try LinearizabilityChecker.check(absent, model: .register)
        #expect(absentResult.verdict == .ok)
        #expect(absentResult.partitions[0].method == .search)
        // The cas model without any cas: the block test applies.
        let plain = History(operations: [write(0, "1", 0, 10), read(1, "1", 20, 30)])
        #expect(try LinearizabilityChecker.check(plain, model: .cas).partitions[0].method == .uniqueValueBlocks)
    }

    // MARK: explanations

    @Test func eachConflictIsExplained() throws {
        func op(_ client: Int, _ kind: OperationKind, _ value: String?, _ invoke: UInt64, _ complete: UInt64) -> Operation {
            Operation(client: client, kind: kind, value: value, outcome: .ok, invoke: invoke, completion: complete)
        }
        let cases: [(History, ValueOrderConflict, String)] = [
            (History(operations: [op(0, .write, "1", 0, 10), op(1, .read, "9", 20, 30)]),
             .readOfUnwrittenValue(read: 1), "returned a value that no write wrote"),
            (History(operations: [op(1, .read, "1", 0, 5), op(0, .write, "1", 10, 20)]),
             .readBeforeWrite(read: 0, write: 1), "completed before the write of the value it returned"),
            (History(operations: [op(0, .write, "1", 0, 10), op(1, .read, nil, 20, 30)]),
             .staleInitialRead(read: 1, completed: 0), "returned the initial value"),
            // "1" then "2", both acknowledged in order, then "2" read and later "1" read again.
            (History(operations: [op(0, .write, "1", 0, 10), op(0, .write, "2", 20, 30),
                                  op(1, .read, "2", 40, 50), op(1, .read, "1", 60, 70)]),
             // "2"'s write completed before the read of "1" began, and "1"'s write completed
             // before the read of "2" began.
             .cycle(firstCompleted: 1, firstBegan: 3, secondCompleted: 0, secondBegan: 2),
             "must each come before the other"),
        ]
        for (history, conflict, phrase) in cases {
            let result = try LinearizabilityChecker.check(history, model: .register)
            #expect(result.verdict == .illegal)
            #expect(result.firstIllegal?.conflict == conflict)
            let text = try #require(result.explanation(history: history))
            #expect(text.contains(phrase), "\(text)")
            // Every operation the conflict names is shown with its client, value and times.
            if case .cycle(let a, let b, let c, let d) = conflict {
                for index in [a, b, c, d] { #expect(text.contains(history.operations[index].summary)) }
            }
            #expect(try LinearizabilityChecker.check(history, model: .register, strategy: .searchOnly).verdict == .illegal)
        }
    }

    // MARK: bounded memory

    @Test func searchBeyondItsMemoryLimitAnswersUnknown() throws {
        // 50 clients on one compare-and-set register: beyond the search (the block test does
        // not apply to cas). With a 64 MiB limit it must give up, not exhaust the machine.
        var generator = HistoryGenerator(object: .casRegister, clients: 50, operations: 20_000, keys: 1)
        generator.infoRate = 0.01
        let history = generator.generate(seed: 42)
        let result = try LinearizabilityChecker.check(history, model: .cas, memoryLimit: 64 << 20)
        #expect(result.verdict == .unknown)
        #expect(result.partitions[0].limitReached == .memory)
        #expect(result.partitions[0].method == .search)
    }
}
