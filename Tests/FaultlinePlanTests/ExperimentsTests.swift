import FaultlineCore
import Foundation
import Testing
@testable import FaultlinePlan

/// The example plans under Experiments/ are documentation users copy: each must validate
/// and print a readable timeline.
struct ExperimentsTests {
    static let folder = repositoryRoot.appendingPathComponent("Experiments")
    /// Plans only: `inventory*.yaml` files are inventories (tested below as such).
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("inventory") }.sorted()

    @Test func thereAreAtLeastSixPlans() {
        #expect(Self.files.count >= 6)
        for required in ["etcd-leader-isolation.yaml", "etcd-member-kill.yaml", "etcd-latency-between-members.yaml",
                         "etcd-loss-one-member.yaml", "etcd-clock-skew.yaml", "ci-gate.yaml"] {
            #expect(Self.files.contains(required), "missing \(required)")
        }
    }

    @Test(arguments: files)
    func planValidatesAndPrints(file: String) throws {
        let path = Self.folder.appendingPathComponent(file).path
        let plan: Plan
        switch PlanParser.load(path: path) {
        case .success(let p): plan = p
        case .failure(let e): Issue.record("\(e)"); return
        }
        #expect(!plan.title.isEmpty)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("#"), "each experiment opens with a comment saying what it teaches")
        let printed = PlanPrinter(plan: plan, inventory: Self.labLayout(for: file), inventoryNote: "lab", seed: 1, seedNote: "test").render()
        #expect(printed.contains("Method ("))
        #expect(printed.contains("Per host"))
        #expect(!printed.contains("cannot compute") && !printed.contains("cannot resolve"), "\(printed)")
    }

    /// The lab each plan is written for: redis-* and haproxy-* plans name their service, the rest etcd.
    static func labLayout(for file: String) -> Inventory {
        for service in ["redis", "haproxy"] where file.hasPrefix(service + "-") { return LabInventory.layout(service: service) }
        return LabInventory.layout()
    }

    /// docs/install.md tells readers to copy the example inventory and point the etcd plans
    /// at it: it must load, and every etcd plan must resolve its targets against it.
    @Test func exampleInventoryLoadsAndFitsTheEtcdPlans() throws {
        let path = Self.folder.appendingPathComponent("inventory.example.yaml").path
        let inventory: Inventory
        switch PlanParser.loadInventory(path: path) {
        case .success(let inv): inventory = inv
        case .failure(let e): Issue.record("\(e)"); return
        }
        #expect(inventory.hosts.map(\.name) == ["etcd-1", "etcd-2", "etcd-3"])
        #expect(inventory.hosts.allSatisfy { $0.labels["role"] == "etcd" && $0.agent.hasPrefix("https://") })
        for file in Self.files where file.hasPrefix("etcd-") {
            guard case .success(let plan) = PlanParser.load(path: Self.folder.appendingPathComponent(file).path) else {
                Issue.record("\(file) invalid"); continue
            }
            let printed = PlanPrinter(plan: plan, inventory: inventory, inventoryNote: "file", seed: 1, seedNote: "test").render()
            #expect(printed.contains("etcd-1"), "\(file)")
            #expect(!printed.contains("cannot compute") && !printed.contains("cannot resolve"), "\(file): \(printed)")
        }
    }

    @Test func leaderIsolationPrintsItsTimeline() throws {
        guard case .success(let plan) = PlanParser.load(path: Self.folder.appendingPathComponent("etcd-leader-isolation.yaml").path) else {
            Issue.record("invalid"); return
        }
        let printed = PlanPrinter(plan: plan, inventory: LabInventory.layout(), inventoryNote: "lab", seed: 1, seedNote: "test").render()
        #expect(printed.contains("0s → 20s           \"cut the leader off\": partition: isolate leader from etcd"))
        #expect(printed.contains("20s → 25s          wait 5s"))
        #expect(printed.contains("leader    at run time: etcd-leader among etcd (among n1 n2 n3)"))
        #expect(printed.contains("n1        0s–20s partition (if chosen)"))
    }
}

struct TimelineTests {
    func steps(_ yaml: String) throws -> [Step] {
        let text = "version: 1\ntitle: t\ninventory: lab\ntargets:\n  etcd: { labels: { role: etcd } }\nmethod:\n" + yaml
        switch parse(text) {
        case .success(let p): return p.method
        case .failure(let e): throw e
        }
    }

    @Test func sequenceParallelAndRepeatAreLaidOut() throws {
        let method = try steps("""
          - loss: { target: etcd, percent: 5%, duration: 10s }
          - pause: 5s
          - parallel:
              - latency: { target: etcd, delay: 10ms, duration: 15s }
              - sequence:
                  - pause: 2s
                  - kill: { target: etcd, process: etcd }
          - repeat:
              times: 3
              every: 10s
              steps:
                - pause: { target: etcd, process: etcd, duration: 4s }
        """)
        let t = Timeline(method: method)
        let windows = t.entries.map { ($0.start.description, $0.end?.description ?? "-") }
        #expect(windows.map(\.0) == ["0s", "10s", "15s", "15s", "17s", "30s", "40s", "50s"])
        #expect(windows.map(\.1) == ["10s", "15s", "30s", "17s", "-", "34s", "44s", "54s"])
        #expect(t.total == .seconds(54))
        #expect(t.entries.compactMap(\.iteration) == [0, 1, 2])
    }

    @Test func repeatWithoutEveryRunsBackToBack() throws {
        let t = Timeline(method: try steps("""
          - repeat: { times: 2, steps: [ { loss: { target: etcd, percent: 1%, duration: 3s } } ] }
        """))
        #expect(t.entries.map(\.start) == [.zero, .seconds(3)])
        #expect(t.total == .seconds(6))
    }
}

struct GrudgeTests {
    let hosts = ["n1", "n2", "n3", "n4", "n5"]

    func grudge(_ t: PartitionTopology, _ groups: [String: [String]] = [:]) throws -> Grudge {
        try Grudge.compute(t, universe: hosts, seed: 9) { groups[$0] ?? hosts }
    }

    /// Everyone hears themselves and whoever is not in their grudge.
    func hears(_ g: Grudge, _ h: String) -> Set<String> { Set(hosts).subtracting(g.cannotHear[h] ?? []) }

    @Test func isolateCutsBothWays() throws {
        let g = try grudge(.isolate(target: "a", from: "all"), ["a": ["n2"], "all": hosts])
        #expect(g.cannotHear["n2"] == ["n1", "n3", "n4", "n5"])
        for h in ["n1", "n3", "n4", "n5"] { #expect(g.cannotHear[h] == ["n2"]) }
    }

    @Test func halvesPutTheSmallerHalfFirst() throws {
        let g = try grudge(.halves("all"))
        #expect(g.cannotHear["n1"] == ["n3", "n4", "n5"])
        #expect(g.cannotHear["n5"] == ["n1", "n2"])
    }

    @Test func bridgeNodeHearsBothSides() throws {
        let g = try grudge(.bridge("all"))
        #expect(g.cannotHear["n3"] == nil)
        #expect(g.cannotHear["n1"] == ["n4", "n5"])
        #expect(g.cannotHear["n4"] == ["n1", "n2"])
    }

    @Test(arguments: [4, 5, 6, 7])
    func majoritiesRingGivesEveryHostADifferentMajority(n: Int) throws {
        let ring = (1...n).map { "h\($0)" }
        let g = try Grudge.compute(.majoritiesRing("r"), universe: ring, seed: 1) { _ in ring }
        var views: Set<Set<String>> = []
        for h in ring {
            let view = Set(ring).subtracting(g.cannotHear[h] ?? [])
            #expect(view.count >= n / 2 + 1, "\(h) sees \(view)")
            #expect(view.contains(h))
            views.insert(view)
            for other in view where other != h { #expect(!(g.cannotHear[other] ?? []).contains(h), "cuts are symmetric") }
        }
        #expect(views.count == n)
    }

    @Test func majoritiesRingRefusesThreeHosts() {
        #expect(throws: Grudge.TopologyError.self) {
            try Grudge.compute(.majoritiesRing("r"), universe: ["a", "b", "c"], seed: 1) { _ in ["a", "b", "c"] }
        }
    }

    @Test func oneWayDropsOnlyAtTheReceiver() throws {
        let g = try grudge(.oneWay(from: "a", to: "b"), ["a": ["n1"], "b": ["n2", "n3"]])
        #expect(g.cannotHear == ["n2": ["n1"], "n3": ["n1"]])
        #expect(g.describe(order: hosts) == ["n1 → n2 dropped", "n1 → n3 dropped"])
    }

    @Test func randomHalvesRepeatWithTheSeed() throws {
        let a = try Grudge.compute(.randomHalves("all"), universe: hosts, seed: 5) { _ in hosts }
        let b = try Grudge.compute(.randomHalves("all"), universe: hosts, seed: 5) { _ in hosts }
        #expect(a == b)
        let sizes = Set(a.cannotHear.values.map(\.count))
        #expect(sizes == [2, 3])
    }
}

struct TargetResolverTests {
    func plan(_ targets: String) throws -> Plan {
        let text = "version: 1\ntitle: t\ninventory: lab\ntargets:\n\(targets)\nmethod:\n  - pause: 1s\n"
        switch parse(text) {
        case .success(let p): return p
        case .failure(let e): throw e
        }
    }

    @Test func picksRepeatWithTheSeedAndDifferAcrossSeeds() throws {
        let p = try plan("  etcd: { labels: { role: etcd } }\n  two: { pick: 2, from: etcd }")
        let inv = LabInventory.layout(hosts: 5)
        let picks = (0..<40).map { seed in
            (try? TargetResolver(plan: p, inventory: inv, seed: UInt64(seed)).resolve("two"))?.candidates.map(\.name) ?? []
        }
        #expect(picks.allSatisfy { $0.count == 2 })
        #expect(Set(picks).count > 5, "40 seeds should not all pick the same pair")
        let again = try TargetResolver(plan: p, inventory: inv, seed: 7).resolve("two")
        #expect(again.candidates.map(\.name) == picks[7])
    }

    @Test func percentRoundsUpAndDynamicWaitsForRunTime() throws {
        let p = try plan("  etcd: { labels: { role: etcd } }\n  some: { percent: 30%, from: etcd }\n  leader: { from: etcd, probe: etcd-leader }")
        let r = TargetResolver(plan: p, inventory: LabInventory.layout(hosts: 5), seed: 1)
        #expect(try r.resolve("some").candidates.count == 2)
        guard case .atRunTime(let candidates, let how) = try r.resolve("leader") else { Issue.record("leader resolved statically"); return }
        #expect(candidates.count == 5)
        #expect(how == "etcd-leader among etcd")
    }
}
