import Foundation
import Testing

/// A plan whose inventory file is wrong: the inventory's own problems are reported against
/// the inventory file, at its lines, so an editor jumps to the right place; the plan gets
/// one line at its `inventory:` saying the file has problems.
struct InventoryFileErrorTests {
    @Test func inventoryProblemsPointIntoTheInventoryFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fl-inv-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Three hosts, host 2's address a list (line 6) and host 3's agent field misspelt (line 10).
        try """
        hosts:
          - name: etcd-1
            address: 192.0.2.11
            agent: https://192.0.2.11:7433
          - name: etcd-2
            address: [192.0.2.12]
            agent: https://192.0.2.12:7433
          - name: etcd-3
            address: 192.0.2.13
            agnet: https://192.0.2.13:7433

        """.write(to: directory.appendingPathComponent("inventory.yaml"), atomically: true, encoding: .utf8)
        let plan = try String(contentsOf: CLITests.root.appendingPathComponent("Experiments/etcd-partition-halves.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "\ninventory: lab\n", with: "\ninventory: inventory.yaml\n")
        try #require(plan.contains("\ninventory: inventory.yaml\n"))
        try plan.write(to: directory.appendingPathComponent("plan.yaml"), atomically: true, encoding: .utf8)
        let planLine = plan.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0 == "inventory: inventory.yaml" }! + 1

        let run = try CLITests().faultline("validate", directory.appendingPathComponent("plan.yaml").path)
        #expect(run.status == 3)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let planPath = directory.appendingPathComponent("plan.yaml").path
        let inventoryPath = directory.appendingPathComponent("inventory.yaml").path
        #expect(lines.first?.hasPrefix("\(planPath):\(planLine):") == true, "\(run.stdout)")
        #expect(lines.first?.contains("inventory file 'inventory.yaml' has") == true, "\(run.stdout)")
        let inInventory = lines.filter { $0.hasPrefix(inventoryPath + ":") }
        #expect(inInventory.contains { $0.hasPrefix("\(inventoryPath):6:") && $0.contains("hosts[1].address") }, "\(run.stdout)")
        #expect(inInventory.contains { $0.hasPrefix("\(inventoryPath):10:") && $0.contains("agnet") }, "\(run.stdout)")
        #expect(!lines.contains { $0.hasPrefix(planPath + ":6:") || $0.hasPrefix(planPath + ":10:") }, "inventory lines reported against the plan: \(run.stdout)")
    }
}
