import FaultlineChecker
import Testing

@Suite struct LostWriteTests {
    static func op(_ client: Int, _ kind: OperationKind, _ value: String?, _ outcome: Outcome = .ok,
                   _ invoke: UInt64, _ complete: UInt64?, key: String = "k") -> Operation {
        Operation(client: client, kind: kind, key: key, value: value, outcome: outcome,
                  invoke: invoke, completion: complete)
    }

    @Test func acknowledgedWriteSeenLaterIsNotLost() {
        let history = History(operations: [
            Self.op(0, .write, "a", .ok, 0, 10),
            Self.op(1, .read, "a", .ok, 20, 30),
        ])
        let result = LostWriteChecker.check(history, semantics: .register)
        #expect(result.verdict == .ok)
        #expect(result.unverified == 0)
    }

    @Test func overwrittenWriteIsNotLost() {
        let history = History(operations: [
            Self.op(0, .write, "a", .ok, 0, 10),
            Self.op(0, .write, "b", .ok, 20, 30),
            Self.op(1, .read, "b", .ok, 40, 50),
        ])
        #expect(LostWriteChecker.check(history, semantics: .register).lost.isEmpty)
    }

    @Test func writeNoLaterReadSeesIsLost() throws {
        // "a" acknowledged; every later read (the last one a final read) returns the older "z".
        let history = History(operations: [
            Self.op(0, .write, "z", .ok, 0, 5),
            Self.op(0, .write, "a", .ok, 10, 20),
            Self.op(1, .read, "z", .ok, 30, 40),
            Operation(client: 2, kind: .read, key: "k", value: "z", outcome: .ok, invoke: 50, completion: 60,
                      node: "n1", isFinalRead: true),
        ])
        let result = LostWriteChecker.check(history, semantics: .register)
        #expect(result.verdict == .illegal)
        #expect(result.lost == [LostWriteChecker.LostWrite(write: 1, laterReads: [2, 3])])
        let text = LostWriteChecker.explanation(result, history: history)
        #expect(text.contains("client 0 write \"k\" \"a\" [10, 20]"))
        #expect(text.contains("no later read sees it"))
        // The same history is, consistently, not linearizable.
        #expect(try LinearizabilityChecker.check(history, model: .register).verdict == .illegal)
    }

    @Test func writesWithoutLaterReadsAreUnverified() {
        let history = History(operations: [Self.op(0, .write, "a", .ok, 0, 10)])
        let result = LostWriteChecker.check(history, semantics: .register)
        #expect(result.verdict == .ok)
        #expect(result.unverified == 1)
    }

    @Test func indeterminateWriteMaySupersede() {
        // "b" was indeterminate, concurrent or later: seeing it explains not seeing "a".
        let history = History(operations: [
            Self.op(0, .write, "a", .ok, 0, 10),
            Self.op(1, .write, "b", .info, 5, nil),
            Self.op(2, .read, "b", .ok, 40, 50),
        ])
        #expect(LostWriteChecker.check(history, semantics: .register).lost.isEmpty)
    }

    @Test func appendSemantics() {
        let seen = History(operations: [
            Self.op(0, .append, "x1", .ok, 0, 10),
            Self.op(1, .append, "y1", .ok, 0, 10),
            Self.op(2, .read, "y1x1", .ok, 20, 30),
        ])
        #expect(LostWriteChecker.check(seen, semantics: .appending).lost.isEmpty)
        let lost = History(operations: [
            Self.op(0, .append, "x1", .ok, 0, 10),
            Self.op(1, .append, "y1", .ok, 0, 10),
            Self.op(2, .read, "y1", .ok, 20, 30),
        ])
        #expect(LostWriteChecker.check(lost, semantics: .appending).lost.map(\.write) == [0])
        let replaced = History(operations: [
            Self.op(0, .append, "x1", .ok, 0, 10),
            Self.op(1, .write, "p", .ok, 15, 18),
            Self.op(2, .read, "pz", .ok, 20, 30),
        ])
        #expect(LostWriteChecker.check(replaced, semantics: .appending).lost.isEmpty)
    }
}

@Suite struct ConvergenceTests {
    static func final(_ node: String, _ key: String, _ value: String?) -> Operation {
        Operation(client: 0, kind: .read, key: key, value: value, outcome: .ok, invoke: 100, completion: 110,
                  node: node, isFinalRead: true)
    }

    @Test func convergedReplicas() {
        let history = History(operations: [
            Self.final("n1", "a", "1"), Self.final("n2", "a", "1"), Self.final("n3", "a", "1"),
            Self.final("n1", "b", nil), Self.final("n2", "b", nil), Self.final("n3", "b", nil),
        ])
        let result = ConvergenceChecker.check(history)
        #expect(result.verdict == .ok)
        #expect(result.finalReads == 6)
    }

    @Test func divergentReplicas() {
        let history = History(operations: [
            Self.final("n1", "a", "1"), Self.final("n2", "a", "2"), Self.final("n3", "a", "1"),
            Self.final("n1", "b", "x"), Self.final("n2", "b", "x"),
            Self.final("n1", "c", "q"), Self.final("n2", "c", "q"), Self.final("n3", "c", "q"),
        ])
        let result = ConvergenceChecker.check(history)
        #expect(result.verdict == .illegal)
        #expect(result.divergences.map(\.key) == ["a", "b"])
        #expect(ConvergenceChecker.explanation(result) == """
            not converged: key "a": n1 = "1", n2 = "2", n3 = "1"
            not converged: key "b": n1 = "x", n2 = "x", n3 = no read
            """)
    }

    @Test func ordinaryReadsAreNotFinalReads() {
        let history = History(operations: [
            Operation(client: 0, kind: .read, key: "a", value: "1", outcome: .ok, invoke: 0, completion: 1, node: "n1"),
            Self.final("n2", "a", "2"),
        ])
        #expect(ConvergenceChecker.check(history).verdict == .ok)
    }
}
