import FaultlineCore
import Foundation
import Testing
@testable import FaultlineAgent

struct LedgerTests {
    let fault = Fault.partition(Partition(topology: .inbound, filter: NetworkFilter(peers: [.cidr("10.77.0.12")])))

    func temporaryLedger() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fl-ledger-\(UUID().uuidString)")
        return dir.appendingPathComponent("ledger.jsonl").path
    }

    @Test func stateFoldsAppliedAndReverted() {
        let state = LedgerState(records: [
            .applying(id: "a", fault: fault, undo: Data("ua".utf8), leaseSeconds: 10),
            .applying(id: "b", fault: fault, undo: Data("ub".utf8), leaseSeconds: 10),
            .revertFailed(id: "a", error: "EBUSY"),
            .reverted(id: "b", reason: .requested),
        ])
        #expect(state.applied.map(\.id) == ["a"])
        #expect(state.entry("a")?.failedReverts == 1)
        #expect(state.entry("a")?.undo == Data("ua".utf8))
    }

    @Test func recordsSurviveReopening() throws {
        let path = try temporaryLedger()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            let (ledger, opened1) = try LedgerFile.open(path: path)
            let (records, torn) = (opened1.records, opened1.tornTail)
            #expect(records.isEmpty && !torn)
            try ledger.append(.applying(id: "f1", fault: fault, undo: Data([1, 2, 3]), leaseSeconds: 5))
            try ledger.append(.applying(id: "f2", fault: fault, undo: Data([4]), leaseSeconds: 5))
            try ledger.append(.reverted(id: "f1", reason: .leaseExpired))
        }
        let (_, opened2) = try LedgerFile.open(path: path)
        let (records, torn) = (opened2.records, opened2.tornTail)
        #expect(!torn)
        #expect(records.count == 3)
        #expect(LedgerState(records: records).applied.map(\.id) == ["f2"])
    }

    @Test func tornLastRecordIsDroppedAndTheFileRepaired() throws {
        let path = try temporaryLedger()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            let (ledger, opened3) = try LedgerFile.open(path: path)
            try ledger.append(.applying(id: "f1", fault: fault, undo: Data([1]), leaseSeconds: 5))
        }
        // A crash in the middle of writing the second record.
        let second = LedgerCodec.encode(.applying(id: "f2", fault: fault, undo: Data([2]), leaseSeconds: 5))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(second.prefix(second.count / 2))
        try handle.close()

        let (ledger, opened4) = try LedgerFile.open(path: path)
        let (records, torn) = (opened4.records, opened4.tornTail)
        #expect(torn)
        #expect(records.map(\.id) == ["f1"])
        try ledger.append(.reverted(id: "f1", reason: .recovery))
        let (_, opened5) = try LedgerFile.open(path: path)
        let (again, tornAgain) = (opened5.records, opened5.tornTail)
        #expect(!tornAgain)
        #expect(again.map(\.id) == ["f1", "f1"])
    }

    @Test func damageBeforeTheLastLineIsRefused() throws {
        var data = LedgerCodec.encode(.applying(id: "f1", fault: fault, undo: Data([1]), leaseSeconds: 5))
        data[12] ^= 0x20 // flip a bit inside the first record's JSON
        data.append(LedgerCodec.encode(.reverted(id: "f1", reason: .requested)))
        #expect(throws: LedgerCodec.CorruptLedger.self) { try LedgerCodec.decode(data) }
    }
}

struct LeaseTableTests {
    @Test func leasesExpireUnlessRenewed() {
        var t = LeaseTable()
        t.grant("a", lengthNanos: 10, now: 100)
        t.grant("b", lengthNanos: 5, now: 100)
        #expect(t.expired(at: 104).isEmpty)
        #expect(t.expired(at: 105) == ["b"])
        #expect(t.renew(["a", "b", "ghost"], now: 108) == ["ghost"])
        #expect(t.expired(at: 112).isEmpty)
        #expect(t.expired(at: 118) == ["b", "a"])
        t.release("b")
        #expect(t.expired(at: 200) == ["a"])
    }
}

struct AgentPolicyTests {
    @Test func refusesWhatItDoesNotAllow() throws {
        var policy = AgentPolicy()
        policy.allowedKinds = [.partition, .clock]
        policy.maxLeaseSeconds = 30
        policy.maxConcurrentFaults = 2
        let partition = Fault.partition(Partition(topology: .inbound))
        #expect(policy.refusal(of: partition, leaseSeconds: 10, applied: 0) == nil)
        #expect(policy.refusal(of: .loss(Loss(percent: Percent(points: 5))), leaseSeconds: 10, applied: 0)?.contains("'loss' is not allowed") == true)
        #expect(policy.refusal(of: partition, leaseSeconds: 60, applied: 0)?.contains("exceeds") == true)
        #expect(policy.refusal(of: partition, leaseSeconds: 10, applied: 2)?.contains("at most 2") == true)
        let hostClock = Fault.clock(ClockSkew(offset: .seconds(5), scope: .host))
        #expect(policy.refusal(of: hostClock, leaseSeconds: 10, applied: 0)?.contains("host-scope clock skew is not allowed") == true)
    }

    @Test func decodesFromConfigWithDefaults() throws {
        let json = Data(#"{"allowed-kinds": ["kill", "pause"], "process-names": ["etcd"]}"#.utf8)
        let policy = try JSONDecoder().decode(AgentPolicy.self, from: json)
        #expect(policy.allowedKinds == [.kill, .pause])
        #expect(policy.maxConcurrentFaults == 16)
        #expect(!policy.allowHostClock)
        let killRedis = Fault.kill(Kill(process: .name("redis-server")))
        #expect(policy.refusal(of: killRedis, leaseSeconds: 1, applied: 0)?.contains("only allows process faults on processes named etcd") == true)
        #expect(policy.refusal(of: .kill(Kill(process: .name("etcd"))), leaseSeconds: 1, applied: 0) == nil)
    }
}
