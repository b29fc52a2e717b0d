// Benchmark of the linearizability checker (release build): the Jepsen etcd set, each
// Porcupine kv file, and generated histories. Prints a markdown table and one
// machine-readable `RESULT <name> <seconds> <verdict>` line per case (for
// run-vs-porcupine.sh).
//
//   checker-bench [--data DIR] [--repeat N] [--write-generated DIR]
//                 [--only etcd|kv|kv-NAME|generated|generated-register|generated-cas|generated-kv
//                         |generated-kv-putget|generated-kv-putget-stale]
//                 [--partitions]   (kv files: one line per key)
//                 [--kv-keys N]    (keys of the generated kv history, default 10)
//                 [--putget-keys N] [--putget-info RATE]  (the put/get history: 4 keys, 0.05)
//
// --write-generated writes the generated histories (register.jsonl, cas.jsonl, kv.jsonl,
// kv-putget.jsonl, kv-putget-stale.jsonl) in
// Faultline's format for the Porcupine side of run-vs-porcupine.sh.
//
// DIR defaults to Porcupine's data in Tests/Fixtures/porcupine. Each time is the median
// of N runs (default 5, after one warm-up run) of parse-free checking: files are read and parsed once, outside
// the timed region, as Porcupine's own benchmarks do.
import FaultlineChecker
import Foundation

var dataDirectory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().appendingPathComponent("../../Tests/Fixtures/porcupine").standardized.path
var repeats = 5
var generatedPath: String? = nil
var only: String? = nil
var showPartitions = false
var kvKeys = 10
var putGetKeys = 4
var putGetInfo = 0.05
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--data": dataDirectory = arguments.popFirst() ?? dataDirectory
    case "--repeat": repeats = Int(arguments.popFirst() ?? "") ?? repeats
    case "--write-generated": generatedPath = arguments.popFirst()
    case "--only": only = arguments.popFirst()
    case "--partitions": showPartitions = true
    case "--kv-keys": kvKeys = Int(arguments.popFirst() ?? "") ?? kvKeys
    case "--putget-keys": putGetKeys = Int(arguments.popFirst() ?? "") ?? putGetKeys
    case "--putget-info": putGetInfo = Double(arguments.popFirst() ?? "") ?? putGetInfo
    default:
        FileHandle.standardError.write("unknown argument \(argument)\n".data(using: .utf8)!)
        exit(2)
    }
}

func load(_ path: String) -> History {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write("cannot read \(path)\n".data(using: .utf8)!)
        exit(3)
    }
    do {
        return try HistoryFormat.parse([UInt8](data))
    } catch {
        FileHandle.standardError.write("\(path):\(error)\n".data(using: .utf8)!)
        exit(3)
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Median of `repeats` runs of `body` (after one warm-up run when repeating); returns
/// (seconds, last result).
@MainActor func time<T>(_ body: () -> T) -> (Double, T) {
    var times: [Double] = []
    var last: T? = nil
    if repeats > 1 { last = body() }
    for _ in 0..<max(repeats, 1) {
        let start = ContinuousClock.now
        last = body()
        times.append(seconds(ContinuousClock.now - start))
    }
    times.sort()
    return (times[times.count / 2], last!)
}

struct Row { var name: String; var operations: Int; var seconds: Double; var verdict: String; var note: String }
var rows: [Row] = []

// Expected verdicts.
var expected: [String: String] = [:]
if let tsv = try? String(contentsOfFile: dataDirectory + "/verdicts.tsv", encoding: .utf8) {
    for line in tsv.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: "\t")
        if fields.count >= 5 { expected[String(fields[0])] = fields[4] == "illegal" ? "illegal" : "ok" }
    }
}
var mismatches = 0

// 1. The etcd set, 103 files (one empty), cas register model.
let etcdNames = only == nil || only == "etcd" ? (0...102).map { $0 } : []
let etcdPaths = etcdNames.map { String(format: "test_data/jepsen/etcd_%03d.log", $0) }
let etcdHistories = etcdPaths.map { load(dataDirectory + "/" + $0) }
var perFile: [Double] = []
var etcdTotal = 0.0
var worst = (name: "", seconds: 0.0)
for (name, history) in zip(etcdPaths, etcdHistories) {
    let (elapsed, result) = time { try! LinearizabilityChecker.check(history, model: .cas) }
    perFile.append(elapsed)
    etcdTotal += elapsed
    if elapsed > worst.seconds { worst = (name, elapsed) }
    if let want = expected[name], want != result.verdict.rawValue {
        mismatches += 1
        print("MISMATCH \(name): expected \(want), got \(result.verdict.rawValue)")
    }
}
let sortedTimes = perFile.sorted()
let median = sortedTimes.isEmpty ? 0 : sortedTimes[sortedTimes.count / 2]
rows.append(Row(name: "etcd set (103 files)", operations: etcdHistories.reduce(0) { $0 + $1.operations.count },
                seconds: etcdTotal, verdict: mismatches == 0 ? "all as expected" : "\(mismatches) mismatches",
                note: String(format: "median %.3f ms, worst %.1f ms (%@)", median * 1e3, worst.seconds * 1e3,
                             (worst.name as NSString).lastPathComponent)))
print("RESULT etcd-all \(etcdTotal) \(mismatches == 0 ? "expected" : "mismatch")")
print("RESULT etcd-worst \(worst.seconds) \((worst.name as NSString).lastPathComponent)")

// 2. Each kv file, kv model partitioned by key.
for name in ["c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad"] where only == nil || only == "kv" || only == "kv-" + name {
    let path = "test_data/kv/\(name).txt"
    let history = load(dataDirectory + "/" + path)
    let (elapsed, result) = time { try! LinearizabilityChecker.check(history, model: .kv) }
    let verdict = result.verdict.rawValue
    if let want = expected[path], want != verdict {
        mismatches += 1
        print("MISMATCH \(path): expected \(want), got \(verdict)")
    }
    rows.append(Row(name: "kv \(name)", operations: history.operations.count, seconds: elapsed, verdict: verdict,
                    note: "\(result.partitions.count) keys, \(result.partitions.reduce(0) { $0 + $1.iterations }) steps, \(result.partitions.reduce(0) { $0 + $1.states }) states, \(result.partitions.reduce(0) { $0 + $1.configurations }) configurations"))
    print("RESULT kv-\(name) \(elapsed) \(verdict)")
    if showPartitions {
        for partition in result.partitions {
            print("  key \(partition.label): \(partition.verdict?.rawValue ?? "stopped") \(partition.operationCount) ops, \(partition.iterations) steps, \(partition.states) states, \(partition.configurations) configurations")
        }
    }
}

// 3. Generated histories.
struct Generated {
    var name: String; var generator: HistoryGenerator; var model: LinearizabilityChecker.HistoryModel
    /// Whether one stale read is injected (then the expected verdict is illegal, not ok).
    var staleRead = false
}
var register50 = HistoryGenerator(object: .register, clients: 50, operations: 20_000, keys: 1)
register50.readRate = 0.5
var cas50 = HistoryGenerator(object: .casRegister, clients: 50, operations: 20_000, keys: 1)
cas50.infoRate = 0.01
var kv50 = HistoryGenerator(object: .keyValue, clients: 50, operations: 20_000, keys: kvKeys)
// What the http-kv workload records: gets and puts of fresh values (no append), 5 % of the
// puts indeterminate, 31 000 operations over 4 keys; and the same with one stale read.
var kvPutGet = HistoryGenerator(object: .keyValue, clients: 50, operations: 31_000, keys: putGetKeys)
kvPutGet.secondaryRate = 0
kvPutGet.infoRate = putGetInfo
let generated = [
    Generated(name: "generated register, 50 clients × 20 000 ops, 1 key", generator: register50, model: .register),
    Generated(name: "generated cas register, 50 clients × 20 000 ops, 1 key, 1% info", generator: cas50, model: .cas),
    Generated(name: "generated kv, 50 clients × 20 000 ops, \(kvKeys) keys", generator: kv50, model: .kv),
    Generated(name: "generated kv put/get, 50 clients × 31 000 ops, \(putGetKeys) keys, \(putGetInfo * 100)% info",
              generator: kvPutGet, model: .kv),
    Generated(name: "generated kv put/get, 50 clients × 31 000 ops, \(putGetKeys) keys, \(putGetInfo * 100)% info, one stale read",
              generator: kvPutGet, model: .kv, staleRead: true),
]
let generatedKinds = ["register", "cas", "kv", "kv-putget", "kv-putget-stale"]
for (index, item) in generated.enumerated()
where only == nil || only == "generated" || only == "generated-" + generatedKinds[index] {
    var history = item.generator.generate(seed: 42)
    if item.staleRead { history = HistoryGenerator.injectStaleRead(into: history, seed: 42)!.0 }
    if let generatedPath {
        let file = generatedPath + "/" + generatedKinds[index] + ".jsonl"
        try! FaultlineHistoryWriter.write(history).write(toFile: file, atomically: true, encoding: .utf8)
    }
    let savedRepeats = repeats
    repeats = min(repeats, 3)
    let (elapsed, result) = time { try! LinearizabilityChecker.check(history, model: item.model) }
    repeats = savedRepeats
    // Linearizable by construction (unless a stale read was injected): the other definite
    // verdict would be wrong; unknown (a budget ran out) is an honest answer, reported in the table.
    if result.verdict == (item.staleRead ? .ok : .illegal) {
        mismatches += 1; print("MISMATCH \(item.name): \(result.verdict)")
    }
    let limit = result.partitions.compactMap(\.limitReached).first.map { " (\($0.rawValue) limit)" } ?? ""
    let methods = Set(result.partitions.map(\.method.rawValue)).sorted().joined(separator: "+")
    let iterations = result.partitions.reduce(0) { $0 + $1.iterations }
    rows.append(Row(name: item.name, operations: history.operations.count, seconds: elapsed,
                    verdict: result.verdict.rawValue + limit, note: "\(methods), \(iterations) steps"))
    let limitTag = result.partitions.compactMap(\.limitReached).first.map { "(\($0.rawValue)-limit)" } ?? ""
    print("RESULT generated-\(index) \(elapsed) \(result.verdict.rawValue)\(limitTag)")
}

print("")
print("| history | operations | time | verdict | notes |")
print("|---|---:|---:|---|---|")
for row in rows {
    let time = row.seconds >= 1 ? String(format: "%.2f s", row.seconds) : String(format: "%.2f ms", row.seconds * 1e3)
    print("| \(row.name) | \(row.operations) | \(time) | \(row.verdict) | \(row.note) |")
}
exit(mismatches == 0 ? 0 : 1)
