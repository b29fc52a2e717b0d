import FaultlineCore
import Foundation

extension PlanParser {
    func readInventorySource(_ f: Fields) -> InventorySource? {
        guard let node = f.value("inventory") else {
            f.missing("inventory", "'lab', a path to an inventory file, or a mapping with 'hosts'")
            return nil
        }
        switch node.content {
        case .scalar(let text, _):
            if text == "lab" { return .lab }
            let resolved = text.hasPrefix("/") ? text : (directory as NSString).appendingPathComponent(text)
            guard Self.readInventoryFile(resolved, shownAs: text, mark: node.mark, sink: sink) != nil else { return nil }
            return .file(written: text, resolved: resolved)
        case .mapping:
            return Self.readInventory(node, path: "inventory", sink: sink).map(InventorySource.inline)
        case .sequence:
            sink.error(node.mark, "inventory", "expected 'lab', a file path, or a mapping with 'hosts:', found a list (put the list under 'hosts:')")
            return nil
        }
    }

    /// Reads an inventory file (the same shape as an inline inventory); problems inside it
    /// are reported against the file itself.
    static func readInventoryFile(_ path: String, shownAs: String, mark: Mark, sink: DiagnosticSink) -> Inventory? {
        switch loadInventory(path: path) {
        case .success(let inventory): return inventory
        case .failure(let error):
            if error.diagnostics.count == 1, error.diagnostics[0].line == 0 {
                sink.error(mark, "inventory", "cannot use inventory file '\(shownAs)': \(error.diagnostics[0].message)")
            } else {
                sink.error(mark, "inventory", "inventory file '\(shownAs)' has \(error.diagnostics.count) problem(s), listed below")
                // Against the inventory file: its lines, not the plan's.
                for d in error.diagnostics { sink.record(d) }
            }
            return nil
        }
    }

    /// Loads an inventory file: `hosts:` with name, address, agent and labels per host.
    public static func loadInventory(path: String) -> Result<Inventory, PlanError> {
        let sink = DiagnosticSink(file: path)
        switch CallerFile.read(path, limit: PlanText.maximumBytes, kind: "an inventory file") {
        case .failure(let error):
            return .failure(PlanError([Diagnostic(file: path, line: 0, column: 0, field: "", message: error.message)]))
        case .success(let bytes):
            guard let text = PlanText.decode(bytes, sink: sink), let root = YAMLLoader.load(text, sink: sink),
                  let inventory = readInventory(root, path: "", sink: sink), sink.isEmpty else {
                return .failure(PlanError(sink.sorted()))
            }
            return .success(inventory)
        }
    }

    static func readInventory(_ node: YAMLNode, path: String, sink: DiagnosticSink) -> Inventory? {
        guard let f = Fields(node, path: path, object: "inventory", sink: sink) else { return nil }
        guard let items = f.sequence("hosts", required: "a list of hosts, each with name, address and agent") else { return nil }
        if items.isEmpty { sink.error(f.value("hosts")!.mark, f.pathOf("hosts"), "expected at least one host") }
        var hosts: [Host] = []
        var seen: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let p = "\(f.pathOf("hosts"))[\(i)]"
            guard let h = Fields(item, path: p, object: "host", sink: sink) else { continue }
            let name = h.string("name", required: "the host's name, unique in the inventory")
            let address = h.string("address", required: "the host's IP address on the network under test")
            let agent = h.string("agent", required: "the agent's URL, e.g. https://10.0.0.7:7433")
            let labels = h.stringMap("labels") ?? [:]
            if let address, CIDR(address).map({ $0.prefixLength != $0.bytes.count * 8 }) ?? true {
                sink.error(h.value("address")!.mark, h.pathOf("address"), "expected an IPv4 or IPv6 address, found '\(address)'")
            }
            if let agent, !(agent.hasPrefix("https://") || agent.hasPrefix("http://")) || URL(string: agent)?.host == nil {
                sink.error(h.value("agent")!.mark, h.pathOf("agent"), "expected the agent's URL such as https://10.0.0.7:7433, found '\(agent)'")
            }
            if let name {
                if let first = seen[name] {
                    sink.error(h.value("name")!.mark, h.pathOf("name"), "host name '\(name)' is already used by hosts[\(first)]")
                }
                seen[name] = i
            }
            if let name, let address, let agent { hosts.append(Host(name: name, address: address, agent: agent, labels: labels)) }
        }
        return Inventory(hosts: hosts)
    }
}
