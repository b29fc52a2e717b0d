#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Testing
@testable import FaultlineChecker

/// The check's memory limit counts every cache that grows with the search. A small
/// history with many open (never answered) appends of long values makes the interned
/// states, not the visited set, fill memory: each order of the appends is a new string.
/// Before the states and the memo were counted, 14 such appends went past a 4 GiB limit.
@Suite("checker memory limit", .serialized)
struct MemoryLimitTests {
    static func openAppends(count: Int, valueBytes: Int) -> [ModelOperation<KeyValueModel.Input, KeyValueModel.Output>] {
        var ops: [ModelOperation<KeyValueModel.Input, KeyValueModel.Output>] = []
        for i in 0..<count {
            let value = KeyValueState.Part(String(repeating: Character(UnicodeScalar(UInt8(65 + i))), count: valueBytes))
            ops.append(ModelOperation(client: i, input: .init(kind: .append, key: 0, value: value), output: .init(value: nil),
                                      call: UInt64(i), ret: .max, source: i))
        }
        // A get no order of the appends can explain: the search must try them all.
        ops.append(ModelOperation(client: count, input: .init(kind: .get, key: 0, value: .init("")),
                                  output: .init(value: .init("impossible")), call: 1_000, ret: 1_001, source: count))
        return ops
    }

    /// Resident set size of this process, in bytes.
    static func residentBytes() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = Int(statm.split(separator: " ").dropFirst().first ?? "") ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func manyOpenAppendsStopAtTheLimitWithTheStatesCounted() {
        let limit = 48 << 20
        let ops = Self.openAppends(count: 14, valueBytes: 256)
        let before = Self.residentBytes()
        let peak = Atomic<Int>(before)
        let done = Atomic<Bool>(false)
        let sampler = Thread {
            while !done.load(ordering: .relaxed) {
                let now = Self.residentBytes()
                if now > peak.load(ordering: .relaxed) { peak.store(now, ordering: .relaxed) }
                usleep(2_000)
            }
        }
        sampler.start()
        let started = ContinuousClock.now
        let result = LinearizabilityChecker.check(KeyValueModel.model(keys: ["k"]), operations: ops,
                                                  timeout: .seconds(60), memoryLimit: limit)
        let took = ContinuousClock.now - started
        done.store(true, ordering: .relaxed)
        let grown = peak.load(ordering: .relaxed) - before
        print("14 open appends of 256 B, limit \(limit >> 20) MiB: \(result.verdict) (\(result.limitReached.map { "\($0)" } ?? "no limit")) in \(took), resident set grew \(grown >> 20) MiB")
        #expect(result.verdict == .unknown)
        #expect(result.limitReached == .memory, "\(String(describing: result.limitReached))")
        // Counted caches stay within the limit; allocator slack and a table mid-growth
        // (old and new arrays both alive) come on top.
        #expect(grown < 3 * limit, "grew \(grown >> 20) MiB for a \(limit >> 20) MiB limit")
    }
}
