import FaultlineCore
import FaultlinePlan
import Testing
@testable import FaultlineController

@Suite("Fault assignment: plan step → per-host faults with resolved peers")
struct FaultAssignmentTests {
    let plan: Plan
    let inventory: Inventory

    init() throws {
        plan = try TestPlans.parse("""
        version: 1
        title: t
        \(TestPlans.inventory(5))
        targets:
          db: { labels: { role: db } }
          one: { names: [n2] }
          pair: { names: [n4, n5] }
        method:
          - partition: { isolate: one, from: db, duration: 5s }
          - partition: { halves: db, duration: 5s }
          - latency: { target: one, delay: 50ms, peers: [pair, 192.168.1.0/24], duration: 5s }
          - kill: { target: pair, process: etcd, signal: KILL }
          - partition: { one-way: { from: one, to: pair }, duration: 5s }
          - loss: { target: one, percent: 10, peers: [pair], duration: 5s }
        """)
        switch plan.inventory {
        case .inline(let inv): inventory = inv
        default: throw TestPlans.Invalid(description: "expected an inline inventory")
        }
    }

    func step(_ i: Int) -> FaultStep {
        guard case .fault(let f) = plan.method[i].kind else { fatalError("step \(i) is not a fault") }
        return f
    }

    func assign(_ i: Int, sequence: Int = 1, override: [String: [Host]] = [:]) throws -> [HostFault] {
        let resolver = TargetResolver(plan: plan, inventory: inventory, seed: 1)
        var hostsOf: [String: [Host]] = [:]
        for name in FaultAssignment.targetNames(of: step(i)) { hostsOf[name] = try resolver.resolve(name).candidates }
        hostsOf.merge(override) { $1 }
        return try FaultAssignment.assign(step(i), stepPath: "method[\(i)]", hostsOf: hostsOf, inventory: inventory,
                                          seed: 1, runShort: "ab12cd34", sequence: sequence)
    }

    func peers(_ f: HostFault) -> [String] { f.fault.filter?.peers.map(\.description) ?? [] }

    @Test func isolateGivesEverySideAnInboundDropOfTheOther() throws {
        let faults = try assign(0)
        #expect(faults.map(\.host.name) == ["n1", "n2", "n3", "n4", "n5"])
        let byHost = Dictionary(uniqueKeysWithValues: faults.map { ($0.host.name, $0) })
        #expect(peers(byHost["n2"]!) == ["10.0.0.11/32", "10.0.0.13/32", "10.0.0.14/32", "10.0.0.15/32"])
        #expect(peers(byHost["n1"]!) == ["10.0.0.12/32"])
        for f in faults {
            guard case .partition(let p) = f.fault else { Issue.record("not a partition"); continue }
            #expect(p.topology == .inbound)
            #expect(p.filter.direction == .inbound)
            #expect(p.filter.isResolved)
            #expect(f.fault.problems().isEmpty, "agent-side validation must accept it: \(f.fault.problems())")
        }
    }

    @Test func halvesCutTheFirstTwoFromTheLastThree() throws {
        let byHost = Dictionary(uniqueKeysWithValues: try assign(1).map { ($0.host.name, peers($0)) })
        #expect(byHost["n1"] == ["10.0.0.13/32", "10.0.0.14/32", "10.0.0.15/32"])
        #expect(byHost["n5"] == ["10.0.0.11/32", "10.0.0.12/32"])
    }

    @Test func oneWayDropsOnlyOnTheReceivers() throws {
        let faults = try assign(4)
        #expect(faults.map(\.host.name) == ["n4", "n5"])
        #expect(faults.allSatisfy { peers($0) == ["10.0.0.12/32"] })
    }

    @Test func peerTargetsBecomeAddressesAndCIDRsStay() throws {
        let faults = try assign(2)
        #expect(faults.map(\.host.name) == ["n2"])
        #expect(peers(faults[0]) == ["10.0.0.14/32", "10.0.0.15/32", "192.168.1.0/24"])
        #expect(faults[0].fault.filter?.isResolved == true)
    }

    @Test func aPeerTargetWithoutHostsIsRefusedRatherThanWidenedToEveryone() throws {
        // A dynamic or picked target can come out empty at run time.
        #expect(throws: FaultAssignment.AssignmentError.self) { try assign(5, override: ["pair": []]) }
        do { _ = try assign(5, override: ["pair": []]) } catch { #expect("\(error)".contains("'pair' has no hosts")) }
    }

    @Test func processFaultsGoToEachHostUnchanged() throws {
        let faults = try assign(3, sequence: 7)
        #expect(faults.map(\.host.name) == ["n4", "n5"])
        #expect(faults.map(\.id) == ["fl-ab12cd34-7-n4", "fl-ab12cd34-7-n5"])
        #expect(faults.allSatisfy { $0.fault == step(3).fault })
    }

    @Test func hostNamesThatAreNotIPAddressesAreRefusedAsPeers() throws {
        let host = Host(name: "h", address: "db.example", agent: "http://x:1")
        #expect(throws: FaultAssignment.AssignmentError.self) { try FaultAssignment.hostCIDR(host, stepPath: "method[0]") }
        #expect(try FaultAssignment.hostCIDR(Host(name: "v6", address: "fd00::7", agent: ""), stepPath: "") == "fd00:0:0:0:0:0:0:7/128")
    }
}

@Suite("Fault ids")
struct FaultIDTests {
    @Test func plainNamesStayReadable() {
        #expect(FaultID.make(run: "0a1b2c3d", step: 3, host: "n1") == "fl-0a1b2c3d-3-n1")
    }

    @Test func everyIdIsAcceptedByTheAgentsRule() {
        let hosts = ["etcd-1.zone-a.example.com", "ü-host", "", String(repeating: "x", count: 200), "a b/c"]
        for h in hosts {
            let id = FaultID.make(run: "0a1b2c3d", step: 12345, host: h)
            #expect(FaultID.isValid(id), "\(id)")
            #expect(id.utf8.count <= 64)
        }
        #expect(FaultID.make(run: "r", step: 1, host: "etcd-1.zone-a") == "fl-r-1-etcd-1_zone-a")
    }

    @Test func longNamesThatShareAPrefixStillDiffer() {
        let a = FaultID.make(run: "0a1b2c3d", step: 1, host: String(repeating: "x", count: 80) + "a")
        let b = FaultID.make(run: "0a1b2c3d", step: 1, host: String(repeating: "x", count: 80) + "b")
        #expect(a != b)
    }

    @Test func namesThatSanitizeAlikeGetDistinctIdsWithinAStep() throws {
        let f = Fault.kill(try #require(Self.killFault()))
        let faults = [HostFault(host: Host(name: "a.b", address: "10.0.0.1", agent: ""), id: FaultID.make(run: "r", step: 1, host: "a.b"), fault: f),
                      HostFault(host: Host(name: "a_b", address: "10.0.0.2", agent: ""), id: FaultID.make(run: "r", step: 1, host: "a_b"), fault: f)]
        let unique = try FaultAssignment.unique(faults, stepPath: "method[0]")
        #expect(Set(unique.map(\.id)).count == 2)
        #expect(unique.allSatisfy { FaultID.isValid($0.id) })
    }

    static func killFault() -> Kill? {
        guard case .success(let plan) = PlanParser.parse("""
        version: 1
        title: t
        \(TestPlans.inventory(1))
        targets: { all: { all: true } }
        method:
          - kill: { target: all, process: etcd }
        """), case .fault(let f) = plan.method[0].kind, case .kill(let k) = f.fault else { return nil }
        return k
    }
}
