#if canImport(Glibc)
import Glibc
#endif
import FaultlineAgentAPI
import FaultlineCore
import Foundation
import Testing
@testable import FaultlineLab
@testable import FaultlinePlan

/// The guest lab (issue 9): QEMU guests with Debian's stock kernel, whose agents use netem
/// and may step their own clock. Every number here is measured with real packets between
/// real guests by `fl-netprobe` (run inside a guest through the lab console), never read
/// back from the agent that applied the fault.
@Suite(.serialized) struct GuestLabTests {
    static let ready = TestLab.hasAgent && FileManager.default.isExecutableFile(atPath: GuestMachine.qemu)
        && TestLab.agentBinary.flatMap { LabGuests.locateNetprobe(besides: $0) } != nil

    /// Up with `guests` guests and one namespace host, every agent running.
    static func up(guests: Int) async throws -> TestLab {
        let lab = try TestLab()
        var options = lab.options(hosts: 1, service: .noService, agents: true)
        options.guests = guests
        _ = try await Lab.up(options)
        return lab
    }

    static func client(_ lab: TestLab, guest i: Int) throws -> HTTPAgentClient {
        let a = lab.addressing
        return HTTPAgentClient(endpoint: AgentEndpoint(name: a.guestName(i), address: a.address(ofGuest: i), port: LabInventory.agentPort),
                               security: .mutualTLS(try LabPKI.controllerFiles(lab.directory).clientContext()), timeout: .seconds(10))
    }

    struct Probe: Decodable {
        struct RTT: Decodable { var min: Double; var p50: Double; var p90: Double; var max: Double }
        var sent: Int, received: Int, lost: Int, duplicates: Int, reordered: Int, corrupted: Int
        var rtt_ms: RTT
        var peer_clock_offset_ms: Double
    }

    /// `fl-netprobe measure` from guest `from` to `address`, inside the guest.
    static func measure(_ lab: TestLab, from guest: Int, to address: String, count: Int = 200, intervalMs: Int = 5) throws -> Probe {
        let console = GuestConsole(labDirectory: lab.directory, guest: lab.addressing.guestName(guest))
        let result = try console.run(["fl-netprobe", "measure", address, "\(GuestInit.netprobePort)", "\(count)", "\(intervalMs)"], timeout: 120)
        guard result.status == 0 else { throw TestLabError("fl-netprobe on g\(guest) exited \(result.status): \(result.output)") }
        return try JSONDecoder().decode(Probe.self, from: Data(result.output.utf8))
    }

    /// Probes from g2 to g1 while `fault` is applied on g1 (and reverted, also on failure).
    static func measure(_ lab: TestLab, during fault: Fault, by agent: HTTPAgentClient, count: Int = 400) async throws -> Probe {
        let id = "fl-g" + fault.kind.rawValue
        _ = try await agent.apply(id: id, fault: fault, lease: .seconds(60))
        do {
            let probe = try measure(lab, from: 2, to: lab.addressing.address(ofGuest: 1), count: count, intervalMs: 3)
            _ = try await agent.revert(id: id)
            return probe
        } catch {
            _ = try? await agent.revert(id: id)
            throw error
        }
    }

    /// What traffic control a guest's eth0 has, and any ifb of ours.
    static func trafficControl(_ lab: TestLab, guest: Int) throws -> String {
        let console = GuestConsole(labDirectory: lab.directory, guest: lab.addressing.guestName(guest))
        let qdiscs = try console.run(["tc", "qdisc", "show"]).output
        let links = try console.run(["ip", "-o", "link", "show"]).output
        return qdiscs + "\n" + links.split(separator: "\n").filter { $0.contains("fl-") }.joined(separator: "\n")
    }

    static func filter(peer: String) -> NetworkFilter { NetworkFilter(peers: [.cidr(peer + "/32")]) }

    @Test(.enabled(if: ready, "needs faultline-agent, fl-netprobe and qemu-system-x86 (make deps)"))
    func netemKindsMeasuredBetweenGuests() async throws {
        let lab = try await Self.up(guests: 2)
        defer { lab.remove() }
        let a = lab.addressing
        let g1 = a.address(ofGuest: 1), g2 = a.address(ofGuest: 2)
        let agent = try Self.client(lab, guest: 1)
        defer { agent.close() }

        let report = try await agent.capabilities()
        for kind in [FaultKind.latency, .duplicate, .corrupt, .reorder] {
            #expect(report.reason(kind: kind) == nil, "g1 cannot inject \(kind): \(report.reason(kind: kind) ?? "")")
        }
        let latency = report.faults.first { $0.kind == .latency }
        #expect(latency?.mechanism?.hasPrefix("netem") == true, "latency mechanism on a guest: \(latency?.mechanism ?? "none")")

        let before = try Self.trafficControl(lab, guest: 1)
        let baseline = try Self.measure(lab, from: 2, to: g1)
        #expect(baseline.lost == 0 && baseline.duplicates == 0 && baseline.corrupted == 0, "baseline: \(baseline)")

        // Latency 40 ms on packets arriving from g2 only: g2 sees it, n1 does not.
        _ = try await agent.apply(id: "fl-glat", fault: .latency(Latency(delay: .milliseconds(40), filter: Self.filter(peer: g2))), lease: .seconds(60))
        let delayed = try Self.measure(lab, from: 2, to: g1)
        let undelayedNamespace = try TestHostMeasure.fromNamespace(lab, host: 1, to: g1)
        let managementHealth = Date()
        _ = try await agent.health()
        let managementSeconds = Date().timeIntervalSince(managementHealth)
        _ = try await agent.revert(id: "fl-glat")
        let added = delayed.rtt_ms.p50 - baseline.rtt_ms.p50
        print("guest netem latency 40 ms: p50 \(baseline.rtt_ms.p50) → \(delayed.rtt_ms.p50) ms (+\(added)); from n1 p50 \(undelayedNamespace.rtt_ms.p50) ms")
        #expect(added > 35 && added < 60, "latency 40 ms added \(added) ms")
        #expect(undelayedNamespace.rtt_ms.p50 < baseline.rtt_ms.p50 + 20, "n1 is not a peer of the fault, yet saw p50 \(undelayedNamespace.rtt_ms.p50) ms")
        #expect(managementSeconds < 1, "the management channel took \(managementSeconds) s")

        // Correlated loss 30 % (netem's model, on arriving packets from g2).
        let lossy = try await Self.measure(lab, during: .loss(Loss(percent: Percent(points: 30), correlation: Percent(points: 25), filter: Self.filter(peer: g2))),
                                           by: agent, count: 1000)
        let lossShare = Double(lossy.lost) / Double(lossy.sent)
        print("guest netem loss 30 % (correlation 25 %): \(lossy.lost)/\(lossy.sent) lost = \(lossShare)")
        // netem's simple loss correlation drops fewer packets than the percentage it is given
        // (measured here: 18.8–24.8 % for 30 % with 25 % correlation), a known trait of its
        // correlated-random generator; the bound asks for a clear, bursty loss, not 30 % exactly.
        #expect(lossShare > 0.12 && lossShare < 0.40, "loss 30 % measured \(lossShare)")

        // Duplicate, corrupt, reorder: netem on g1's egress; g2 sees g1's answers.
        let duplicated = try await Self.measure(lab, during: .duplicate(Duplicate(percent: Percent(points: 30))), by: agent)
        let duplicateShare = Double(duplicated.duplicates) / Double(duplicated.received)
        print("guest netem duplicate 30 %: \(duplicated.duplicates)/\(duplicated.received) = \(duplicateShare)")
        #expect(duplicateShare > 0.2 && duplicateShare < 0.4, "duplicate 30 % measured \(duplicateShare)")

        let corrupted = try await Self.measure(lab, during: .corrupt(Corrupt(percent: Percent(points: 30))), by: agent)
        // A corrupted answer arrives with a bad payload checksum (counted as corrupted) or is
        // dropped on the way (a flipped bit in a header); either way no intact answer: lost.
        let damaged = Double(corrupted.lost) / Double(corrupted.sent)
        print("guest netem corrupt 30 %: \(corrupted.lost) of \(corrupted.sent) answers damaged (\(corrupted.corrupted) arrived corrupted) = \(damaged)")
        #expect(corrupted.corrupted > corrupted.sent / 20, "corrupt 30 %: only \(corrupted.corrupted) answers arrived corrupted")
        #expect(damaged > 0.2 && damaged < 0.4, "corrupt 30 % damaged \(damaged)")

        let reordered = try await Self.measure(lab, during: .reorder(Reorder(percent: Percent(points: 50), delay: .milliseconds(20))), by: agent)
        let reorderShare = Double(reordered.reordered) / Double(reordered.received)
        print("guest netem reorder 50 % (gap 20 ms): \(reordered.reordered)/\(reordered.received) out of order = \(reorderShare)")
        #expect(reorderShare > 0.2, "reorder 50 % measured \(reorderShare)")

        // Every revert put g1's traffic control back as it was.
        #expect(try Self.trafficControl(lab, guest: 1) == before)
        #expect(try await agent.faults().isEmpty)
        let after = try Self.measure(lab, from: 2, to: g1)
        #expect(after.lost == 0 && after.duplicates == 0 && after.corrupted == 0 && after.rtt_ms.p50 < baseline.rtt_ms.p50 + 20, "after revert: \(after)")
    }

    @Test(.enabled(if: ready, "needs faultline-agent, fl-netprobe and qemu-system-x86 (make deps)"))
    func hostClockSkewOnOneGuestIsSeenFromAnother() async throws {
        let machineRealtime = Date(), machineMonotonic = ContinuousClock.now
        let lab = try await Self.up(guests: 2)
        defer { lab.remove() }
        let g1 = lab.addressing.address(ofGuest: 1)
        let agent = try Self.client(lab, guest: 1)
        defer { agent.close() }

        // Guests' clocks start from the RTC (whole seconds): compare offsets, not clocks.
        let baseline = try Self.measure(lab, from: 2, to: g1, count: 50, intervalMs: 10).peer_clock_offset_ms
        _ = try await agent.apply(id: "fl-gclock", fault: .clock(ClockSkew(offset: .seconds(30), scope: .host)), lease: .seconds(60))
        let skewed = try Self.measure(lab, from: 2, to: g1, count: 50, intervalMs: 10).peer_clock_offset_ms
        _ = try await agent.revert(id: "fl-gclock")
        let restored = try Self.measure(lab, from: 2, to: g1, count: 50, intervalMs: 10).peer_clock_offset_ms
        print("guest host-clock skew +30 s seen from g2: offset \(baseline) → \(skewed) → \(restored) ms")
        #expect(abs(skewed - baseline - 30_000) < 500, "skew +30 s observed as \(skewed - baseline) ms")
        #expect(abs(restored - baseline) < 500, "after revert the offset is \(restored - baseline) ms from the baseline")

        // This machine's clock was never stepped: realtime advanced as much as the monotonic clock.
        let drift = Date().timeIntervalSince(machineRealtime) - Double((ContinuousClock.now - machineMonotonic).components.seconds)
        #expect(abs(drift) < 2, "this machine's realtime clock moved \(drift) s against its monotonic clock")
    }
}

extension GuestLabTests {
    /// Issue 9: one plan puts the same latency on a namespace host (this kernel: the NFQUEUE
    /// delay engine) and on a guest (netem); both effects, measured from the controller's
    /// side with real packets while `faultline run` holds the fault, agree.
    @Test(.enabled(if: ready && EndToEndTests.binary != nil, "needs faultline, faultline-agent, fl-netprobe and qemu-system-x86"))
    func onePlanDelaysANamespaceHostAndAGuestAlike() async throws {
        let lab = try await Self.up(guests: 1)
        defer { lab.remove() }
        let a = lab.addressing
        guard let netprobe = TestHostMeasure.netprobe else { throw TestLabError("fl-netprobe is not built") }
        // The echo on the namespace host (guests start their own at boot).
        let echo = try Spawn.detached(LabNetwork.inNamespace(a.namespace(ofHost: 1), [netprobe, "serve", "\(GuestInit.netprobePort)"]),
                                      log: lab.directory + "/logs/netprobe-n1.log")
        defer { kill(echo, SIGKILL); Spawn.reap(echo); usleep(50_000); Spawn.reap(echo) }

        let targets = [("n1", a.address(ofHost: 1)), ("g1", a.address(ofGuest: 1))]
        let baseline = try targets.map { try Self.measureFromMachine(netprobe, to: $0.1) }
        let plan = lab.directory + "/latency-namespace-and-guest.yaml"
        try """
        version: 1
        title: 50 ms on a namespace host and on a guest
        inventory: lab
        targets:
          both: { names: [n1, g1] }
        steady-state:
          - name: agents answer
            probe: { tcp: { address: "{{host.address}}:7433", each: both, timeout: 1s } }
        method:
          - latency: { target: both, peers: ["\(a.bridgeAddress)/32"], delay: 50ms, duration: 14s }
        settings:
          lease: 5s
        """.write(toFile: plan, atomically: true, encoding: .utf8)
        let out = lab.directory + "/run"
        let run = Task.detached { try EndToEndTests.run(["run", plan, "--out", out, "--certs", LabPKI.directory(lab.directory)], lab: lab) }
        // Preflight, hypothesis and the applies take ~1-3 s; the fault lasts 14 s.
        try await Task.sleep(for: .seconds(5))
        let delayed = try targets.map { try Self.measureFromMachine(netprobe, to: $0.1) }
        let result = try await run.value
        #expect(result.status == 0, "\(result.output.suffix(2000))")
        let added = zip(baseline, delayed).map { $1.rtt_ms.p50 - $0.rtt_ms.p50 }
        print("latency 50 ms from one plan: n1 (delay engine) +\(added[0]) ms, g1 (netem) +\(added[1]) ms")
        for ((name, _), extra) in zip(targets, added) {
            #expect(extra > 45 && extra < 65, "\(name): 50 ms measured as +\(extra) ms")
        }
        #expect(abs(added[0] - added[1]) < 10, "the two mechanisms differ by \(abs(added[0] - added[1])) ms")
        let journal = try EndToEndTests.journal(out)
        #expect(journal["outcome"] as? String == "held")
    }

    /// `fl-netprobe measure` from this machine's root namespace (the controller's side).
    static func measureFromMachine(_ netprobe: String, to address: String) throws -> Probe {
        let output = try Spawn.check([netprobe, "measure", address, "\(GuestInit.netprobePort)", "100", "10"])
        return try JSONDecoder().decode(Probe.self, from: Data(output.utf8))
    }
}

/// Measurements from a namespace host of the lab (the machine's side of the comparison).
enum TestHostMeasure {
    static let netprobe: String? = TestLab.agentBinary.flatMap { LabGuests.locateNetprobe(besides: $0) }

    static func fromNamespace(_ lab: TestLab, host: Int, to address: String, count: Int = 200, intervalMs: Int = 5) throws -> GuestLabTests.Probe {
        guard let netprobe else { throw TestLabError("fl-netprobe is not built") }
        let output = try Spawn.check(LabNetwork.inNamespace(lab.addressing.namespace(ofHost: host),
                                                            [netprobe, "measure", address, "\(GuestInit.netprobePort)", "\(count)", "\(intervalMs)"]))
        return try JSONDecoder().decode(GuestLabTests.Probe.self, from: Data(output.utf8))
    }
}
