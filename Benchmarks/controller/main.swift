#if canImport(Glibc)
import Glibc
#endif
import FaultlineAgentAPI
import FaultlineCore
import Foundation

// Controller fan-out: apply and revert one real fault (pause a sleeping process of the
// agent's own, by pid) on N agents listening on loopback, all at once through
// HTTPAgentClient, as `faultline run` does; and `faultline halt` (revert everything) on 3.
//
//   controller-bench [--agent PATH] [--sizes 10,100,500] [--rounds 5] [--first-fault after-preflight|at-once]
//
// "first fault": the first fault the freshly started agents ever apply. after-preflight
// (default) does what `faultline run` does first: GET /v1/capabilities on every agent,
// which waits for each agent's start-up kernel probes, then the fault on the connections
// the preflight opened. at-once applies it as soon as every agent answers its health check,
// while their start-up probes may still be running.
//
// "cold": fresh clients, so every agent's TCP connection is made inside the timing (a
// controller's first call). "warm": connections already open from a health check (how
// the engine's calls after preflight go). Every round checks in /proc that each sleeper
// really stopped and really resumed; a wrong state fails the benchmark.

var agentBinary = ".build/release/faultline-agent"
var sizes = [10, 100, 500]
var rounds = 5
var firstFault = "after-preflight"
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--agent": agentBinary = arguments.next() ?? agentBinary
    case "--sizes": sizes = (arguments.next() ?? "").split(separator: ",").compactMap { Int($0) }
    case "--rounds": rounds = Int(arguments.next() ?? "") ?? rounds
    case "--first-fault":
        firstFault = arguments.next() ?? ""
        guard ["after-preflight", "at-once"].contains(firstFault) else {
            FileHandle.standardError.write(Data("controller-bench: --first-fault is after-preflight or at-once, not '\(firstFault)'\n".utf8))
            exit(64)
        }
    default:
        FileHandle.standardError.write(Data("usage: controller-bench [--agent PATH] [--sizes 10,100,500] [--rounds 5] [--first-fault after-preflight|at-once]\n".utf8))
        exit(64)
    }
}
guard FileManager.default.isExecutableFile(atPath: agentBinary) else {
    print("controller-bench: no agent at \(agentBinary); build it: swift build -c release --product faultline-agent")
    exit(1)
}

// 500 agents × a few descriptors each on our side: raise the soft limit to the hard one.
var limit = rlimit()
getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
limit.rlim_cur = limit.rlim_max
setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func ms(_ s: Double) -> String { String(format: "%.1f", s * 1000) }
func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s.isEmpty ? .nan : s[s.count / 2] }

/// Calls `body` on every client at once; the wall time of the slowest.
func fanOut(_ clients: [HTTPAgentClient], _ body: @escaping @Sendable (Int, HTTPAgentClient) async throws -> Void) async throws -> Double {
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for (i, client) in clients.enumerated() { group.addTask { try await body(i, client) } }
        try await group.waitForAll()
    }
    return seconds(ContinuousClock.now - start)
}

func expectStates(_ fleet: AgentFleet, _ members: ArraySlice<AgentFleet.Member>, _ wanted: String, _ what: String) throws {
    // SIGSTOP/SIGCONT are delivered asynchronously: allow the scheduler a moment.
    let deadline = ContinuousClock.now + .milliseconds(500)
    for m in members {
        while AgentFleet.state(m.sleeperPID) != wanted {
            if ContinuousClock.now > deadline {
                throw BenchError("after \(what), sleeper \(m.sleeperPID) of agent \(m.index) is in state \(AgentFleet.state(m.sleeperPID)), expected \(wanted)")
            }
            usleep(1000)
        }
    }
}

let lease = TimeSpan.seconds(30)
let total = sizes.max() ?? 0
print("controller-bench: \(total) agents (\(agentBinary)), \(rounds) rounds per case, \(ProcessInfo.processInfo.activeProcessorCount) cores")
let startAt = ContinuousClock.now
let fleet = try AgentFleet(agentBinary: agentBinary, count: total)
var failed = false
do {
    try await fleet.waitHealthy(timeout: .seconds(180))
    print("  started \(total) agents in \(String(format: "%.1f", seconds(ContinuousClock.now - startAt))) s")
    // First contact: the first fault every agent ever applies, on fresh connections. Kept
    // apart from the rounds below, whose agents have all applied a fault before.
    do {
        let members = fleet.members[...]
        let clients = members.map { fleet.client($0) }
        let pids = members.map(\.sleeperPID)
        if firstFault == "after-preflight" {
            let preflight = try await fanOut(clients) { i, c in
                let report = try await c.capabilities()
                guard report.faults.contains(where: { $0.kind == .pause && $0.available }) else { throw BenchError("agent \(i) cannot pause: \(report)") }
            }
            print("  preflight (GET /v1/capabilities on \(total) agents, \(String(format: "%.1f", seconds(ContinuousClock.now - startAt))) s after the first was started): \(ms(preflight)) ms")
        }
        let apply = try await fanOut(clients) { i, c in
            _ = try await c.apply(id: "bench-first-\(i)", fault: .pause(Pause(process: .pid(pids[i]), mechanism: .sigstop)), lease: lease)
        }
        try expectStates(fleet, members, "T", "first apply")
        let revert = try await fanOut(clients) { i, c in _ = try await c.revert(id: "bench-first-\(i)") }
        try expectStates(fleet, members, "S", "first revert")
        clients.forEach { $0.close() }
        let connections = firstFault == "after-preflight" ? "connections open from the preflight" : "new connections"
        print("  first fault on \(total) fresh agents (\(firstFault), \(connections)): apply \(ms(apply)) ms, revert \(ms(revert)) ms, total \(ms(apply + revert)) ms")
    }
    print("")
    print("| agents | connections | health floor (median ms) | apply (median / max ms) | revert (median / max ms) | apply + revert (median / max ms) |")
    print("|---:|---|---:|---:|---:|---:|")
    var verdicts: [String] = []
    for n in sizes.sorted() {
        let members = fleet.members.prefix(n)
        for mode in ["cold", "warm"] {
            var applies: [Double] = [], reverts: [Double] = [], totals: [Double] = [], floors: [Double] = []
            for round in 0..<rounds {
                let clients = members.map { fleet.client($0) }
                if mode == "warm" {
                    _ = try await fanOut(clients) { _, c in _ = try await c.health() }
                    // The floor: one GET /v1/health round trip on every open connection (no ledger, no fault).
                    floors.append(try await fanOut(clients) { _, c in _ = try await c.health() })
                }
                let pids = members.map(\.sleeperPID)
                let apply = try await fanOut(clients) { i, c in
                    let result = try await c.apply(id: "bench-\(mode)-\(round)-\(i)", fault: .pause(Pause(process: .pid(pids[i]), mechanism: .sigstop)), lease: lease)
                    guard result.status == "applied" else { throw BenchError("agent \(i): apply answered \(result.status)") }
                }
                try expectStates(fleet, members, "T", "apply")
                let revert = try await fanOut(clients) { i, c in
                    guard try await c.revert(id: "bench-\(mode)-\(round)-\(i)") else { throw BenchError("agent \(i): revert found no fault") }
                }
                try expectStates(fleet, members, "S", "revert")
                applies.append(apply); reverts.append(revert); totals.append(apply + revert)
                clients.forEach { $0.close() }
            }
            let floor = floors.isEmpty ? "—" : ms(median(floors))
            print("| \(n) | \(mode) | \(floor) | \(ms(median(applies))) / \(ms(applies.max()!)) | \(ms(median(reverts))) / \(ms(reverts.max()!)) | \(ms(median(totals))) / \(ms(totals.max()!)) |")
            if n == 500 { verdicts.append("500 agents \(mode): apply + revert median \(ms(median(totals))) ms, max \(ms(totals.max()!)) ms (target ≤ 1000 ms): \(totals.max()! <= 1.0 ? "met" : "NOT met")") }
        }
    }

    // Halt: DELETE /v1/faults on 3 agents at once, each holding one pause.
    print("")
    print("| halt of 3 agents | median ms | max ms |")
    print("|---|---:|---:|")
    let three = fleet.members.prefix(3)
    for mode in ["cold", "warm"] {
        var halts: [Double] = []
        for round in 0..<max(rounds, 10) {
            let setup = three.map { fleet.client($0) }
            let pids = three.map(\.sleeperPID)
            _ = try await fanOut(setup) { i, c in _ = try await c.apply(id: "halt-\(mode)-\(round)-\(i)", fault: .pause(Pause(process: .pid(pids[i]), mechanism: .sigstop)), lease: lease) }
            try expectStates(fleet, three, "T", "apply before halt")
            let clients = mode == "warm" ? setup : three.map { fleet.client($0) }
            let halt = try await fanOut(clients) { i, c in
                let reverted = try await c.revertAll()
                guard reverted.count == 1 else { throw BenchError("agent \(i): halt reverted \(reverted)") }
            }
            try expectStates(fleet, three, "S", "halt")
            halts.append(halt)
            setup.forEach { $0.close() }; clients.forEach { $0.close() }
        }
        print("| \(mode) | \(ms(median(halts))) | \(ms(halts.max()!)) |")
        verdicts.append("halt of 3 \(mode): median \(ms(median(halts))) ms, max \(ms(halts.max()!)) ms (target ≤ 50 ms): \(halts.max()! <= 0.05 ? "met" : "NOT met")")
    }
    print("")
    for v in verdicts { print("  " + v) }
} catch {
    print("controller-bench: \(error)")
    failed = true
}
fleet.stop()
exit(failed ? 1 : 0)
