import FaultlineChecker
import Foundation
import Testing

/// The 103 Jepsen etcd histories (one empty) and the 6 kv histories from Porcupine's
/// test data must get exactly the verdicts Porcupine's own tests assert (verdicts.tsv).
@Suite struct PorcupineVerdictTests {
    @Test func verdictTableIsComplete() {
        #expect(PorcupineData.cases.count == 109, "verdicts.tsv not found or incomplete at \(PorcupineData.directory.path)")
        #expect(PorcupineData.cases.filter { $0.path.contains("jepsen/") }.count == 103)
    }

    @Test(arguments: PorcupineData.cases)
    func verdict(_ item: PorcupineData.Case) throws {
        let history = try HistoryFormat.parse(try PorcupineData.bytes(item.path))
        #expect(history.operations.count == item.operations)
        let model: LinearizabilityChecker.HistoryModel = item.path.contains("/kv/") ? .kv : .cas
        let result = try LinearizabilityChecker.check(history, model: model)
        #expect(result.verdict == item.expected)
        if item.expected == .illegal {
            let text = try #require(result.explanation(history: history))
            #expect(text.contains("client "))
            #expect(text.contains("must take effect"))
            #expect(result.firstIllegal?.blocked != nil)
        } else {
            // A complete linearization covering every checked operation.
            let covered = result.partitions.reduce(0) { $0 + $1.order.count }
            let checked = result.partitions.reduce(0) { $0 + $1.operationCount }
            #expect(covered == checked)
        }
    }

    // Keys where the lost-write check already sees a violation are searched first, alone:
    // c50-bad loses appends on several keys, and the key explained is always one of them.
    @Test func keysWithLostWritesAreSearchedFirst() throws {
        let history = try HistoryFormat.parse(try PorcupineData.bytes("test_data/kv/c50-bad.txt"))
        let lostKeys = Set(LostWriteChecker.check(history, semantics: .appending).lost.map { history.operations[$0.write].key })
        #expect(!lostKeys.isEmpty && lostKeys.count < 10)
        for _ in 0..<3 {
            let result = try LinearizabilityChecker.check(history, model: .kv)
            #expect(result.verdict == .illegal)
            let explained = try #require(result.firstIllegal?.label)
            #expect(lostKeys.contains(explained), "explained key \(explained), keys with lost writes \(lostKeys.sorted())")
            // Keys without lost writes were not searched at all.
            #expect(result.partitions.filter { !lostKeys.contains($0.label) }.allSatisfy { $0.verdict == nil })
        }
    }

    @Test func emptyEtcdHistoryIsOk() throws {
        let bytes = try PorcupineData.bytes("test_data/jepsen/etcd_095.log")
        #expect(bytes.isEmpty)
        let history = try HistoryFormat.parse(bytes)
        #expect(history.isEmpty)
        #expect(try LinearizabilityChecker.check(history, model: .cas).verdict == .ok)
    }

    @Test func etcdParserFollowsPorcupinesTreatment() throws {
        // Totals from FORMATS.md over all files.
        var counts: [String: Int] = [:]
        for index in 0...102 {
            let history = try JepsenEtcdParser.parse(
                try PorcupineData.bytes(String(format: "test_data/jepsen/etcd_%03d.log", index)))
            for operation in history.operations {
                counts["\(operation.kind.rawValue) \(operation.outcome.rawValue)", default: 0] += 1
            }
        }
        #expect(counts["read ok"] == 2922)
        #expect(counts["read fail"] == 17)
        #expect(counts["write ok"] == 2122)
        #expect(counts["cas ok"] == 431)
        #expect(counts["cas fail"] == 1748)
        // info lines; every invoke without a completion line is one of them
        #expect(counts["write info"] == 626)
        #expect(counts["cas info"] == 657)
    }
}
