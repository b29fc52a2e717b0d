import Foundation
import Testing
@testable import FaultlinePlan

/// Which lab service each experiment needs, as `faultline plan` tells a user whose lab
/// runs another one; and the service a lab inventory runs.
struct LabServiceNeedTests {
    @Test func everyExperimentNamesItsService() throws {
        let folder = repositoryRoot.appendingPathComponent("Experiments")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("inventory") }.sorted()
        try #require(files.count >= 10)
        for file in files {
            let plan = try PlanParser.load(path: folder.appendingPathComponent(file).path).get()
            let expected = file.hasPrefix("redis") ? "redis" : file.hasPrefix("haproxy") ? "haproxy" : "etcd"
            #expect(LabServiceNeed.service(of: plan) == expected, "\(file)")
            // The layout of that service fits the plan: every target selects a host.
            let printer = PlanPrinter(plan: plan, inventory: LabInventory.layout(service: expected), inventoryNote: "", seed: 1, seedNote: "")
            #expect(printer.unresolvedTargets().isEmpty, "\(file): \(printer.unresolvedTargets())")
        }
    }

    @Test func aLabInventoryRunsOneService() {
        #expect(LabServiceNeed.service(of: LabInventory.layout(service: "etcd")) == "etcd")
        #expect(LabServiceNeed.service(of: LabInventory.layout(service: "redis")) == "redis")
        #expect(LabServiceNeed.service(of: LabInventory.layout(service: "haproxy")) == "haproxy")
        #expect(LabServiceNeed.service(of: LabInventory.layout(service: "none")) == nil)
    }

    @Test func unresolvedTargetsSayWhy() throws {
        let plan = try parse("""
        version: 1
        title: t
        inventory: lab
        targets:
          redis: { labels: { role: redis } }
          primary: { from: redis, probe: redis-primary }
          two: { pick: 2, from: redis }
          ghost: { names: [n7] }
        method:
          - latency: { target: redis, delay: 10ms, duration: 1s }

        """).get()
        let printer = PlanPrinter(plan: plan, inventory: LabInventory.layout(service: "etcd"), inventoryNote: "", seed: 1, seedNote: "")
        #expect(printer.unresolvedTargets().map(\.description) == [
            "target 'redis': no host in the inventory has the labels role=redis",
            "target 'primary': it draws from 'redis', which selects no host",
            "target 'two': cannot pick 2 of 'redis', which has 0 host(s)",
            "target 'ghost': no host 'n7' in the inventory",
        ])
    }
}
