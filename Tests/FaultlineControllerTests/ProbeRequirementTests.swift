#if canImport(Glibc)
import Glibc
#endif
import FaultlineCore
import FaultlinePlan
import FaultlineTestSupport
import Foundation
import Testing
@testable import FaultlineController

/// `require:` on an `each` probe, with real TCP probes against real sockets: three "hosts"
/// on 127.0.0.1–3 share one port; two listen and the third refuses (1 of 3 down).
@Suite("Probe host requirements (real sockets, 1 of 3 hosts down)")
struct ProbeRequirementTests {
    /// Listeners on 127.0.0.1 and 127.0.0.2 at one port; nothing on 127.0.0.3.
    final class TwoOfThree {
        let port: UInt16
        private let listeners: [Int32]
        init() throws {
            let (first, port) = try LoopbackSocket.listen()
            let (second, _) = try LoopbackSocket.listen(address: "127.0.0.2", port: port)
            self.port = port
            listeners = [first, second]
        }
        deinit { listeners.forEach { close($0) } }

        /// The inline inventory of the three hosts (their agents are never called here).
        var inventory: String {
            "inventory:\n  hosts:\n" + (1...3).map {
                "    - { name: m\($0), address: 127.0.0.\($0), agent: \"http://127.0.0.\($0):1\", labels: { role: member } }\n"
            }.joined()
        }
    }

    func probe(_ require: String, _ hosts: TwoOfThree) throws -> (Probe, [Host]) {
        let plan = try TestPlans.parse("""
        version: 1
        title: t
        \(hosts.inventory)
        targets: { members: { labels: { role: member } } }
        guards:
          - name: g
            probe: { tcp: { address: "{{host.address}}:\(hosts.port)", each: members\(require), timeout: 1s } }
        method:
          - pause: 1s
        """)
        guard case .inline(let inventory) = plan.inventory else { throw TestPlans.Invalid(description: "inline inventory expected") }
        return (plan.guards[0].probe, inventory.hosts)
    }

    @Test func allFailsMajorityPassesAtLeastThreeFails() async throws {
        let hosts = try TwoOfThree()
        var verdicts: [String: Bool] = [:]
        for (name, require) in [("default", ""), ("all", ", require: all"), ("majority", ", require: majority"),
                                ("any", ", require: any"), ("at-least 2", ", require: { at-least: 2 }"),
                                ("at-least 3", ", require: { at-least: 3 }")] {
            let (probe, inventory) = try probe(require, hosts)
            let observations = await HealthProbe.run(probe, hosts: inventory, defaultTimeout: .seconds(1))
            // Each host is still its own observation: the down one is named whatever passes.
            #expect(observations.map(\.ok) == [true, true, false], "\(name): \(observations.map(\.detail))")
            #expect(observations[2].host == "m3" && observations[2].detail.contains("refused"), "\(observations[2].detail)")
            verdicts[name] = HealthProbe.passes(probe, observations)
        }
        #expect(verdicts == ["default": false, "all": false, "majority": true, "any": true, "at-least 2": true, "at-least 3": false])
    }

    @Test func majorityFailsWhenTwoOfThreeAreDown() async throws {
        let hosts = try TwoOfThree()
        let (probe, inventory) = try probe(", require: majority", hosts)
        // m2 counted as down too: 1 of 3 passes, not a majority.
        var observations = await HealthProbe.run(probe, hosts: inventory, defaultTimeout: .seconds(1))
        observations[1].ok = false
        #expect(!HealthProbe.passes(probe, observations))
        // Nothing probed never passes (a target with no hosts), whatever the requirement.
        #expect(!HealthProbe.passes(probe, []))
    }

    /// The engine judges guards with the requirement: `require: majority` keeps the run
    /// going with one member down; `all` (the default) trips the guard.
    @Test func guardWithMajorityDoesNotTripOnOneDownMember() async throws {
        let hosts = try TwoOfThree()
        func run(_ require: String) async throws -> Journal {
            let plan = try TestPlans.parse("""
            version: 1
            title: t
            \(hosts.inventory)
            targets: { members: { labels: { role: member } } }
            guards:
              - name: a majority still answers
                probe: { tcp: { address: "{{host.address}}:\(hosts.port)", each: members\(require), timeout: 1s } }
                every: 50ms
            method:
              - pause: 400ms
            """)
            guard case .inline(let inventory) = plan.inventory else { throw TestPlans.Invalid(description: "inline inventory expected") }
            let agents = Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, FakeAgent($0.name)) })
            let engine = RunEngine(plan: plan, inventory: inventory, clients: agents,
                                   configuration: RunConfiguration(seed: 1, runShort: "t0", historyDirectory: nil))
            return await engine.run()
        }
        let majority = try await run(", require: majority")
        #expect(majority.outcome == .held, "\(majority.reason ?? "")")
        #expect(!majority.events.contains { $0.kind == .guardTripped })
        // Its samples still record m3's refusals.
        #expect(majority.probes.flatMap(\.samples).contains { $0.host == "m3" && !$0.ok })

        let all = try await run("")
        #expect(all.outcome == .aborted)
        #expect(all.reason?.contains("guard 'a majority still answers' tripped") == true, "\(all.reason ?? "")")
        #expect(all.reason?.contains("m3: connect 127.0.0.3:\(hosts.port)") == true, "\(all.reason ?? "")")
    }
}
