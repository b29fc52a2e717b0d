// Measures the workload recorder against a running store: operations per second,
// latency per kind, outcome counts, and how long the checks of the recording take.
//
//   workloads-bench <etcd|redis|http-kv> <host:port>[,<host:port>...] [clients] [keys] [seconds]
//
// run-etcd.sh starts a 3-member etcd cluster on loopback and runs this against it.
import Foundation
import FaultlineChecker
import FaultlineWorkloads

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    print("usage: workloads-bench <etcd|redis|http-kv> <host:port>[,...] [clients] [keys] [seconds]")
    exit(2)
}
let nodes = arguments[2].split(separator: ",").enumerated().map { index, address in
    let parts = address.split(separator: ":")
    return Endpoint(name: "n\(index)", host: String(parts[0]), port: UInt16(parts[1])!)
}
let clients = arguments.count > 3 ? Int(arguments[3])! : 4
let keys = arguments.count > 4 ? Int(arguments[4])! : 4
let seconds = arguments.count > 5 ? Int(arguments[5])! : 5
let configuration = WorkloadConfiguration(name: "\(arguments[1])-register", nodes: nodes, clients: clients, keys: keys,
                                          duration: .seconds(seconds))
let recorder = switch arguments[1] {
case "etcd": try WorkloadRecorder.etcd(configuration)
case "redis": try WorkloadRecorder.redis(configuration)
default: try WorkloadRecorder.httpKeyValue(configuration)
}
let recording = recorder.record()
let operations = recording.workloadOperations
print("\(arguments[1]): \(clients) clients × \(keys) keys × \(seconds) s against \(nodes.count) node(s), seed \(recording.seed)")
print(String(format: "  %d operations, %.0f ops/s; ok %d, fail %d, info %d", operations.count, recording.operationsPerSecond,
             recording.count(.ok), recording.count(.fail), recording.count(.info)))
for kind in [OperationKind.read, .write, .cas] {
    let latencies = operations.filter { $0.kind == kind && $0.outcome != .info && $0.completion != nil }
        .map { Double($0.completion! - $0.invoke) / 1e6 }.sorted()
    guard !latencies.isEmpty else { continue }
    func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
    print(String(format: "  %@: %d, latency ms p50 %.2f p90 %.2f p99 %.2f max %.2f", kind.rawValue, latencies.count,
                 percentile(0.5), percentile(0.9), percentile(0.99), latencies.last!))
}
let clock = ContinuousClock()
let start = clock.now
let linearizable = try LinearizabilityChecker.check(recording.history, model: .cas, timeout: .seconds(60))
let checked = clock.now
let lost = LostWriteChecker.check(recording.history, semantics: .register)
let converged = ConvergenceChecker.check(recording.history)
print("  linearizable: \(linearizable.verdict) in \(checked - start); lost writes: \(lost.verdict) (\(lost.lost.count)); converged: \(converged.verdict)")
