import FaultlinePlan

/// The lab's network: a bridge in the root namespace and, per host, a network namespace
/// joined to the bridge by a veth pair.
///
/// Made with the `ip` tool run by argv through posix_spawn (never a shell string). A lab
/// is built once and torn down once, a few dozen calls at ~2 ms each: netlink in process
/// would save tens of milliseconds and cost a C dependency this module does not have.
enum LabNetwork {
    static let ip = "/usr/sbin/ip"

    /// Network namespaces named with `prefix` (`ip netns list`).
    static func namespaces(prefix: String) throws -> [String] {
        try Spawn.check([ip, "netns", "list"]).split(separator: "\n").compactMap { line in
            let name = String(line.split(separator: " ").first ?? "")
            return name.hasPrefix(prefix) ? name : nil
        }
    }

    /// Links in the root namespace named with `prefix` (`ip -o link show`).
    static func links(prefix: String) throws -> [String] {
        try Spawn.check([ip, "-o", "link", "show"]).split(separator: "\n").compactMap { line in
            // "7: fl-lab-v1@if2: <BROADCAST,..." → "fl-lab-v1"
            let fields = line.split(separator: ":", maxSplits: 2)
            guard fields.count >= 2 else { return nil }
            let name = String(fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first ?? "")
            return name.hasPrefix(prefix) ? name : nil
        }
    }

    /// Root-namespace addresses inside 10.77.N.0/24 (another lab, or anyone else, using
    /// the subnet), as "ADDRESS on LINK".
    static func addressesInSubnet(_ addressing: LabAddressing) throws -> [String] {
        let prefix = "10.77.\(addressing.subnetIndex)."
        return try Spawn.check([ip, "-o", "-4", "addr", "show"]).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard let i = fields.firstIndex(of: "inet"), i + 1 < fields.count, fields.count > 1,
                  fields[i + 1].hasPrefix(prefix) else { return nil }
            return "\(fields[i + 1]) on \(fields[1])"
        }
    }

    static func createBridge(_ a: LabAddressing) throws {
        try Spawn.check([ip, "link", "add", a.bridge, "type", "bridge"])
        try Spawn.check([ip, "addr", "add", a.bridgeAddress + "/24", "dev", a.bridge])
        try Spawn.check([ip, "link", "set", a.bridge, "up"])
    }

    static func createNamespace(_ name: String) throws {
        try Spawn.check([ip, "netns", "add", name])
    }

    /// A veth pair: `veth` in the root namespace on the bridge, `eth0` inside the host with
    /// its address; `lo` up (etcd and the agent listen on it too). No default route: the
    /// host reaches only the lab's subnet.
    static func connect(host index: Int, _ a: LabAddressing) throws {
        let ns = a.namespace(ofHost: index), veth = a.vethName(ofHost: index)
        try Spawn.check([ip, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns])
        try Spawn.check([ip, "link", "set", veth, "master", a.bridge, "up"])
        try Spawn.check([ip, "-n", ns, "addr", "add", a.address(ofHost: index) + "/24", "dev", "eth0"])
        try Spawn.check([ip, "-n", ns, "link", "set", "eth0", "up"])
        try Spawn.check([ip, "-n", ns, "link", "set", "lo", "up"])
    }

    /// Deletes a namespace if it exists (its veth end goes with it, and the root end with
    /// that); answers whether there was one to delete.
    @discardableResult
    static func deleteNamespace(_ name: String) throws -> Bool {
        guard try namespaces(prefix: name).contains(name) else { return false }
        try Spawn.check([ip, "netns", "delete", name])
        return true
    }

    /// Deletes a link if it exists; answers whether there was one to delete.
    @discardableResult
    static func deleteLink(_ name: String) throws -> Bool {
        guard try links(prefix: name).contains(name) else { return false }
        let result = try Spawn.run([ip, "link", "delete", name])
        // Deleting a namespace removes the veth pair asynchronously: "Cannot find device" here is done.
        if result.status != 0, try links(prefix: name).contains(name) {
            throw LabError.tool(argv: [ip, "link", "delete", name], status: result.status, stderr: result.stderr)
        }
        return true
    }

    /// argv that runs `argv` inside the host's namespace (`ip netns exec` enters it with
    /// setns and then execs, so the pid we get is the program's own).
    static func inNamespace(_ namespace: String, _ argv: [String]) -> [String] {
        [ip, "netns", "exec", namespace] + argv
    }
}
