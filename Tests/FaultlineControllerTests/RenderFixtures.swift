import FaultlineAgentAPI
import FaultlineCore
import Foundation
@testable import FaultlineController

/// Realistic journals built in code, shaped like what the engine writes: three etcd hosts,
/// a partition of the leader, latency on every member, a kill and a pause that could not
/// be applied, HTTP and Prometheus probes sampled per host, a guard, and a consistency
/// probe whose history has a linearizability violation.
enum RenderFixtures {
    static let start = Date(timeIntervalSince1970: 1_795_000_000.250)
    static func wall(_ t: Double) -> Date { start.addingTimeInterval(t) }

    /// Text that breaks naive XML/HTML writers: a CDATA end, both quotes, markup, NUL, an
    /// ANSI escape, DEL, a C1 control, U+FFFF.
    static let hostile = "weird ]]> \"probe\" & 'x' <b>bold</b> \u{0}\u{1B}[31mred\u{7F}\u{85}\u{FFFF} end"

    static func event(_ t: Double, _ kind: JournalEvent.Kind, _ message: String, host: String? = nil, faultID: String? = nil, phase: RunPhase? = nil) -> JournalEvent {
        JournalEvent(t: t, wall: wall(t), kind: kind, message: message, host: host, faultID: faultID, phase: phase)
    }

    static func sample(_ t: Double, _ phase: RunPhase, host: String?, ok: Bool, value: Double?, _ detail: String, took: Double = 0.004) -> ProbeSample {
        ProbeSample(t: t, wall: wall(t), phase: phase, host: host, ok: ok, value: value, detail: detail, durationSeconds: took)
    }

    static let hostNames = ["n1", "n2", "n3"]

    static func base(title: String) -> Journal {
        var j = Journal(plan: PlanSummary(file: "Experiments/etcd-leader-partition.yaml", title: title,
                                          description: "Cut the leader off from the majority, add latency everywhere, kill a follower.",
                                          tags: ["etcd", "partition"]),
                        seed: 424242, startedAt: start)
        j.plan.variables = ["etcd-port": "2379"]
        // Fixed, so the golden files do not change with every release.
        j.faultlineVersion = "0.0.0-fixture"
        j.hosts = hostNames.enumerated().map { i, name in
            HostSummary(name: name, address: "10.77.0.1\(i + 1)", agent: "https://10.77.0.1\(i + 1):7070",
                        labels: ["role": "etcd", "zone": i == 0 ? "a" : "b"])
        }
        return j
    }

    static func fault(_ id: String, _ step: String, _ host: String, _ fault: Fault, requested: Double, applied: Double?, reverted: Double?,
                      reason: RevertReason? = nil, error: String? = nil, name: String? = nil) -> FaultRecord {
        var f = FaultRecord(id: id, step: step, stepName: name, host: host, fault: fault, requestedAt: requested)
        f.appliedAt = applied; f.revertedAt = reverted; f.revertReason = reason; f.error = error
        return f
    }

    static let partition = Fault.partition(Partition(topology: .isolate(target: "leader", from: "etcd"),
                                                     filter: NetworkFilter(peers: [.cidr("10.77.0.12"), .cidr("10.77.0.13")])))
    static let latency = Fault.latency(Latency(delay: .milliseconds(100), jitter: .milliseconds(10)))
    static let kill = Fault.kill(Kill(process: .name("etcd"), signal: .kill))
    static let pause = Fault.pause(Pause(process: .pid(4242)))

    /// The hypothesis held before, a member answered 503 after: outcome deviated, and the
    /// consistency check found a stale read.
    static func deviated() -> Journal {
        var j = base(title: "etcd keeps serving linearizable writes when its leader is cut off")
        j.endedAt = wall(36.5)
        j.outcome = .deviated
        j.reason = "probe 'every member healthy' deviated after the method: n2: status 503, expected 200"
        j.events = [
            event(0.0, .phase, "preflight", phase: .preflight),
            event(0.4, .phase, "hypothesis before", phase: .before),
            event(2.0, .phase, "method", phase: .method),
            event(2.1, .faultApplied, partition.summary, host: "n1", faultID: "f-0001"),
            event(12.0, .faultApplied, latency.summary, host: "n1", faultID: "f-0002"),
            event(12.0, .faultApplied, latency.summary, host: "n2", faultID: "f-0003"),
            event(12.1, .faultApplied, latency.summary, host: "n3", faultID: "f-0004"),
            event(14.0, .faultApplied, kill.summary, host: "n3", faultID: "f-0005"),
            event(14.0, .faultFailed, "pause pid 4242: no such process", host: "n2", faultID: "f-0006"),
            event(22.1, .faultReverted, partition.summary, host: "n1", faultID: "f-0001"),
            event(27.0, .faultReverted, latency.summary, host: "n1", faultID: "f-0002"),
            event(27.0, .faultReverted, latency.summary, host: "n2", faultID: "f-0003"),
            event(27.1, .faultReverted, latency.summary, host: "n3", faultID: "f-0004"),
            event(27.5, .phase, "rollbacks", phase: .rollbacks),
            event(28.0, .phase, "hypothesis after", phase: .after),
            event(29.0, .error, "agent n2: lease renewal took 1.2s"),
            event(36.0, .phase, "done: deviated", phase: .done),
        ]
        var healthy = ProbeRecord(name: "every member healthy", kind: "http", role: .hypothesis, timings: ["before", "after"])
        for (i, host) in hostNames.enumerated() {
            healthy.samples.append(sample(0.5 + Double(i) * 0.01, .before, host: host, ok: true, value: 200, "status 200"))
        }
        for (i, host) in hostNames.enumerated() {
            let bad = host == "n2"
            healthy.samples.append(sample(28.1 + Double(i) * 0.01, .after, host: host, ok: !bad, value: bad ? 503 : 200,
                                          bad ? "status 503, expected 200" : "status 200"))
        }
        var latencyProbe = ProbeRecord(name: "write latency p99", kind: "prometheus", role: .hypothesis, timings: ["during"])
        for k in 0..<13 {
            let t = 3.0 + Double(k) * 2
            let value = t > 12 && t < 27 ? 180 + Double(k) * 40 : 12 + Double(k)
            latencyProbe.samples.append(sample(t, .method, host: nil, ok: value < 500, value: value,
                                               value < 500 ? "\(RenderFormat.value(value)) ms, below 500" : "\(RenderFormat.value(value)) ms, expected below 500"))
        }
        var guardProbe = ProbeRecord(name: "error rate below 5%", kind: "prometheus", role: .guard, timings: [])
        guardProbe.require = "majority"
        for k in 0..<26 {
            let t = 2.5 + Double(k)
            let value = k == 12 ? 0.041 : 0.002 * Double(k % 5)
            guardProbe.samples.append(sample(t, .method, host: nil, ok: true, value: value, "\(RenderFormat.value(value)), below 0.05"))
        }
        var register = ProbeRecord(name: "writes stay linearizable", kind: "consistency", role: .hypothesis, timings: ["during"])
        register.samples.append(sample(27.4, .after, host: nil, ok: false, value: 1840, "1840 operations (1712 ok, 61 failed, 67 indeterminate); linearizable violation", took: 0.8))
        j.probes = [healthy, latencyProbe, guardProbe, register]
        j.faults = [
            fault("f-0001", "method[0]", "n1", partition, requested: 2.0, applied: 2.1, reverted: 22.1, reason: .duration, name: "cut off the leader"),
            fault("f-0002", "method[2].parallel[0]", "n1", latency, requested: 12.0, applied: 12.0, reverted: 27.0, reason: .duration),
            fault("f-0003", "method[2].parallel[0]", "n2", latency, requested: 12.0, applied: 12.0, reverted: 27.0, reason: .duration),
            fault("f-0004", "method[2].parallel[0]", "n3", latency, requested: 12.0, applied: 12.1, reverted: 27.1, reason: .duration),
            fault("f-0005", "method[2].parallel[1]", "n3", kill, requested: 14.0, applied: 14.0, reverted: nil),
            fault("f-0006", "method[3]", "n2", pause, requested: 14.0, applied: nil, reverted: nil, error: "pause pid 4242: no such process"),
        ]
        j.consistency = [ConsistencyRecord(
            probe: "writes stay linearizable", workload: "etcd-register", operations: 1840, ok: 1712, failed: 61, indeterminate: 67,
            verdicts: [
                .init(check: "linearizable", result: "violation",
                      explanation: "key k3: read of 7 by client 2 at t+15.204s returned 5\nwrite 7 (client 1) completed at t+15.101s before the read began"),
                .init(check: "lost-writes", result: "ok", explanation: nil),
                .init(check: "convergence", result: "unknown", explanation: "timed out after 10s"),
            ],
            historyFile: "runs/2026-11-22/history.jsonl")]
        j.consistency[0].timeline = workloadTimeline()
        j.faults[0].agentRevertedAt = RenderFormat.wall(wall(22.08))
        j.targets = [
            TargetResolution(t: 2.0, wall: wall(2.0), target: "leader", how: "etcd-leader among etcd", use: "method[0]", hosts: ["n1"]),
            TargetResolution(t: 5.3, wall: wall(5.3), target: "leader", how: "etcd-leader among etcd", use: "probe 'writes through the leader'", hosts: ["n2"]),
        ]
        j.errors = ["agent n2: lease renewal took 1.2s"]
        return j
    }

    /// A workload of 4 clients over the deviated run, 1 s intervals: about 60 operations a
    /// second, an outage from t+2.3 s to t+5.1 s after the leader was cut off (failures, some
    /// indeterminate), and latency up under the latency fault (t+12 – t+27).
    static func workloadTimeline() -> WorkloadTimeline {
        var intervals: [WorkloadTimeline.Interval] = []
        for i in 0..<36 {
            let t = Double(i)
            let down = t >= 2 && t < 5
            let slow = t >= 12 && t < 27
            intervals.append(.init(t: t, answered: down ? (t == 2 ? 18 : 0) : (slow ? 24 : 60), failed: down ? 30 : 0, indeterminate: down ? 4 : (i == 14 ? 2 : 0),
                                   p50Milliseconds: down && t != 2 ? nil : (slow ? 104 + Double(i % 3) : 3.5 + Double(i % 4) * 0.25),
                                   p99Milliseconds: down && t != 2 ? nil : (slow ? 131 + Double(i % 5) : 9 + Double(i % 3))))
        }
        return WorkloadTimeline(intervalSeconds: 1, intervals: intervals,
                                longestFailureRun: .init(client: nil, start: 2.31, end: 5.12, operations: 98),
                                longestFailureRunPerClient: (0..<4).map { .init(client: $0, start: 2.31 + Double($0) * 0.01, end: 5.02 + Double($0) * 0.03, operations: 24) })
    }

    /// A guard tripped at t+9.6s mid-partition: every fault reverted by the guard, the
    /// rollbacks and after phases never ran, outcome aborted.
    static func aborted() -> Journal {
        var j = base(title: "Redis keeps its primary when a replica lags")
        j.endedAt = wall(10.4)
        j.outcome = .aborted
        j.reason = "guard 'error rate below 5%' tripped: 0.31, expected below 0.05"
        j.events = [
            event(0.0, .phase, "preflight", phase: .preflight),
            event(0.3, .phase, "hypothesis before", phase: .before),
            event(1.0, .phase, "method", phase: .method),
            event(1.1, .faultApplied, latency.summary, host: "n1", faultID: "f-1"),
            event(1.1, .faultApplied, partition.summary, host: "n2", faultID: "f-2"),
            event(9.6, .guardTripped, "error rate below 5%: 0.31, expected below 0.05"),
            event(9.7, .faultReverted, latency.summary, host: "n1", faultID: "f-1"),
            event(9.7, .faultReverted, partition.summary, host: "n2", faultID: "f-2"),
            event(10.0, .phase, "done: aborted", phase: .done),
        ]
        var healthy = ProbeRecord(name: "every member healthy", kind: "http", role: .hypothesis, timings: ["before", "after"])
        for host in hostNames { healthy.samples.append(sample(0.4, .before, host: host, ok: true, value: 200, "status 200")) }
        var guardProbe = ProbeRecord(name: "error rate below 5%", kind: "prometheus", role: .guard, timings: [])
        for k in 0..<9 {
            let value = k == 8 ? 0.31 : 0.01
            guardProbe.samples.append(sample(1.6 + Double(k), .method, host: nil, ok: value < 0.05, value: value,
                                             value < 0.05 ? "\(value), below 0.05" : "\(value), expected below 0.05"))
        }
        j.probes = [healthy, guardProbe]
        j.faults = [
            fault("f-1", "method[0]", "n1", latency, requested: 1.0, applied: 1.1, reverted: 9.7, reason: .guardTripped),
            fault("f-2", "method[1]", "n2", partition, requested: 1.0, applied: 1.1, reverted: 9.7, reason: .guardTripped),
        ]
        return j
    }

    /// The deviated journal with hostile text in every free-text field a renderer prints.
    static func hostileJournal() -> Journal {
        var j = deviated()
        j.plan.title = "title " + hostile
        j.plan.file = "plans/" + hostile + ".yaml"
        j.reason = "reason " + hostile
        j.hosts[1].name = "n2" + hostile
        j.probes[0].name = "probe " + hostile
        j.probes[0].samples[4].detail = "detail " + hostile + " <script>alert(1)</script>"
        j.probes[0].samples[4].host = j.hosts[1].name
        j.faults[0].stepName = "step " + hostile
        j.faults[5].error = "error " + hostile
        j.events.append(event(30, .note, "note " + hostile, host: j.hosts[1].name))
        j.consistency[0].verdicts[0].explanation = "explanation " + hostile
        j.errors.append("error " + hostile)
        return j
    }
}
