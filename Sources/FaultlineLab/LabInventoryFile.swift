import FaultlinePlan

/// The inventory plans read when they say `inventory: lab`: the same shape as an
/// inventory file (`hosts:` with name, address, agent, labels), see docs/plan-format.md.
enum LabInventoryFile {
    static func path(_ labDirectory: String) -> String { labDirectory + "/inventory.yaml" }

    static func render(_ inventory: Inventory, addressing: LabAddressing, directory: String) -> String {
        var text = """
        # Written by `faultline lab up` (lab '\(addressing.name)', \(addressing.subnet)); removed by `faultline lab down`.
        # Agents speak mutual TLS: the controller's certificate is in \(LabPKI.directory(directory))/.
        hosts:

        """
        for host in inventory.hosts {
            text += "  - name: \(host.name)\n    address: \(host.address)\n    agent: \(host.agent)\n"
            if host.labels.isEmpty {
                text += "    labels: {}\n"
            } else {
                text += "    labels: { " + host.labels.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + " }\n"
            }
        }
        return text
    }
}
