import Foundation
import Testing
@testable import FaultlineNetShims

/// Two (or three) network namespaces joined by a veth pair, made for one test and torn down
/// in `destroy()` (call it in `defer`). Names are `fl-t<random>-…`, unique per test, so tests
/// run in parallel; addresses are 10.250.1.1 (side a) and 10.250.1.2 (side b) inside the
/// namespaces only (the namespaces are isolated, so every test can use the same ones).
///
/// Setup runs `ip` by argv: this is test scaffolding, not the mechanism under test.
struct TestNetwork {
    let tag: String
    let a: NetNamespace
    let b: NetNamespace
    let aName: String
    let bName: String
    let vethA: String
    let vethB: String
    let addressA = "10.250.1.1"
    let addressB = "10.250.1.2"

    static func make() throws -> TestNetwork {
        let tag = "fl-t" + String(UInt32.random(in: 0..<0xFFFFFF), radix: 16)
        let network = TestNetwork(tag: tag)
        do {
            try network.ip(["netns", "add", network.aName])
            try network.ip(["netns", "add", network.bName])
            try network.ip(["link", "add", network.vethA, "netns", network.aName, "type", "veth",
                            "peer", "name", network.vethB, "netns", network.bName])
            for (ns, dev, address) in [(network.aName, network.vethA, network.addressA),
                                       (network.bName, network.vethB, network.addressB)] {
                try network.ip(["-n", ns, "addr", "add", "\(address)/24", "dev", dev])
                try network.ip(["-n", ns, "link", "set", dev, "up"])
                try network.ip(["-n", ns, "link", "set", "lo", "up"])
            }
        } catch {
            network.destroy()
            throw error
        }
        return network
    }

    private init(tag: String) {
        self.tag = tag
        aName = "\(tag)-a"
        bName = "\(tag)-b"
        a = .named(aName)
        b = .named(bName)
        vethA = "\(tag)a"
        vethB = "\(tag)b"
    }

    func destroy() {
        for name in [aName, bName] {
            _ = try? Subprocess.run(["/usr/sbin/ip", "netns", "delete", name])
        }
    }

    func ip(_ arguments: [String]) throws {
        try Subprocess.check(["/usr/sbin/ip"] + arguments)
    }

    /// Kernel state that a revert must restore exactly: nft ruleset, qdiscs and filters of
    /// every device, iptables-save, links. Read by running the tools inside the namespace.
    func kernelState(_ namespace: String) throws -> String {
        var parts: [String] = []
        let run = { (argv: [String]) throws -> String in
            try Subprocess.check(["/usr/sbin/ip", "netns", "exec", namespace] + argv)
        }
        parts.append(try run(["/usr/sbin/nft", "list", "ruleset"]))
        let links = try run(["/usr/sbin/ip", "-o", "link", "show"])
        parts.append(links.split(separator: "\n").map { line in
            // Drop counters and state words that change with traffic.
            String(line.split(separator: " ").prefix(2).joined(separator: " "))
        }.joined(separator: "\n"))
        for device in try devices(namespace) {
            parts.append(try run(["/usr/sbin/tc", "qdisc", "show", "dev", device]))
            parts.append(try run(["/usr/sbin/tc", "filter", "show", "dev", device]))
            parts.append(try run(["/usr/sbin/tc", "filter", "show", "dev", device, "ingress"]))
            parts.append(try run(["/usr/sbin/tc", "class", "show", "dev", device]))
        }
        parts.append(try run(["/usr/sbin/iptables-save"]).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.joined(separator: "\n"))
        return parts.joined(separator: "\n---\n")
    }

    func devices(_ namespace: String) throws -> [String] {
        let output = try Subprocess.check(["/usr/sbin/ip", "-n", namespace, "-o", "link", "show"])
        return output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            return String(fields[1].dropLast().split(separator: "@").first ?? "")
        }
    }

    func faultID(_ suffix: String) -> FaultID {
        try! FaultID("\(tag)-\(suffix)")
    }
}

/// Expects two kernel-state snapshots to be identical, printing the lines that differ.
func expectSameState(_ before: String, _ after: String, sourceLocation: SourceLocation = #_sourceLocation) {
    if before != after {
        let old = Set(before.split(separator: "\n")), new = Set(after.split(separator: "\n"))
        Issue.record("kernel state changed; gone: \(old.subtracting(new).sorted()), new: \(new.subtracting(old).sorted())",
                     sourceLocation: sourceLocation)
    }
}
