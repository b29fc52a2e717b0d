import Foundation
import Testing

/// `faultline plan` against inventories its targets do not fit: exit 4 with each target
/// named and why, and, against a lab of another service, the lab the plan needs. The lab
/// is a folder of this test's own (FAULTLINE_LAB_DIR) holding the inventory a lab writes.
struct PlanResolutionTests {
    final class LabFolder {
        let path: String
        init(service: String?) throws {
            path = NSTemporaryDirectory() + "fl-plan-resolution-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            guard let service else { return }   // no inventory: no lab is up
            var text = "# written by the test, as `faultline lab up --service \(service)` writes it\nhosts:\n"
            for i in 1...3 {
                text += "  - name: n\(i)\n    address: 10.77.0.\(10 + i)\n    agent: https://10.77.0.\(10 + i):7433\n    labels: { role: \(service) }\n"
            }
            try text.write(toFile: path + "/inventory.yaml", atomically: true, encoding: .utf8)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func plan(_ arguments: [String], lab: LabFolder) throws -> CLITests.Run {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["plan"] + arguments
        process.currentDirectoryURL = CLITests.root
        var environment = ProcessInfo.processInfo.environment
        environment["FAULTLINE_LAB_DIR"] = lab.path
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLITests.Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func aRedisPlanAgainstAnEtcdLabFailsAndSaysWhichLabItNeeds() throws {
        let lab = try LabFolder(service: "etcd")
        let run = try plan(["Experiments/redis-primary-partition.yaml", "--seed", "1"], lab: lab)
        #expect(run.status == 4, "\(run.stdout)\(run.stderr)")
        // The timeline is still printed: it shows what could not be resolved.
        #expect(run.stdout.contains("Targets"), "\(run.stdout)")
        let inventory = "(inventory: lab (running, \(lab.path)/inventory.yaml))"
        #expect(run.stderr.contains("Experiments/redis-primary-partition.yaml: error: target 'redis': no host in the inventory has the labels role=redis \(inventory)"), "\(run.stderr)")
        #expect(run.stderr.contains("error: target 'primary': it draws from 'redis', which selects no host"), "\(run.stderr)")
        #expect(run.stderr.contains("Experiments/redis-primary-partition.yaml: this plan needs a lab running redis, and the lab that is up runs etcd: `faultline lab down && faultline lab up --service redis`"), "\(run.stderr)")
    }

    @Test func theSamePlanAgainstARedisLabPrints() throws {
        let lab = try LabFolder(service: "redis")
        let run = try plan(["Experiments/redis-primary-partition.yaml", "--seed", "1"], lab: lab)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.isEmpty, "\(run.stderr)")
    }

    @Test func withNoLabUpTheLayoutOfThePlansServiceIsUsed() throws {
        let lab = try LabFolder(service: nil)
        let redis = try plan(["Experiments/redis-primary-partition.yaml", "--seed", "1"], lab: lab)
        #expect(redis.status == 0, "\(redis.stdout)\(redis.stderr)")
        #expect(redis.stdout.contains("Inventory  lab (no lab is up: the layout `faultline lab up --service redis` creates): n1 n2 n3"), "\(redis.stdout)")
        let etcd = try plan(["Experiments/etcd-partition-halves.yaml", "--seed", "3"], lab: lab)
        #expect(etcd.status == 0, "\(etcd.stdout)\(etcd.stderr)")
        #expect(etcd.stdout.contains("Inventory  lab (no lab is up: the layout `faultline lab up` creates)"), "\(etcd.stdout)")
    }

    @Test func aTargetNamingHostsAnInventoryFileLacksFails() throws {
        let lab = try LabFolder(service: nil)
        let planPath = lab.path + "/plan.yaml"
        try """
        version: 1
        title: names a host the inventory file does not have
        inventory: inventory.yaml
        targets:
          two: { names: [n1, n9] }
        method:
          - latency: { target: two, delay: 10ms, duration: 1s }

        """.write(toFile: planPath, atomically: true, encoding: .utf8)
        try "hosts:\n  - { name: n1, address: 10.0.0.1, agent: \"https://10.0.0.1:7433\" }\n"
            .write(toFile: lab.path + "/inventory.yaml", atomically: true, encoding: .utf8)
        let run = try plan([planPath], lab: lab)
        #expect(run.status == 4, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("error: target 'two': no host 'n9' in the inventory (inventory: file inventory.yaml)"), "\(run.stderr)")
        #expect(!run.stderr.contains("this plan needs a lab"))
    }
}
