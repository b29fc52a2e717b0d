/// Where a plan's hosts come from.
public enum InventorySource: Sendable, Hashable {
    /// The local lab's generated inventory (`faultline lab up`).
    case lab
    /// An inventory file, path as written and resolved against the plan's folder.
    case file(written: String, resolved: String)
    /// Hosts listed in the plan itself.
    case inline(Inventory)
}

/// The hosts an experiment may touch, each with the agent that acts for it.
public struct Inventory: Sendable, Hashable, Codable {
    public var hosts: [Host]
    public init(hosts: [Host]) { self.hosts = hosts }

    public func host(named name: String) -> Host? { hosts.first { $0.name == name } }
}

/// One host: a machine, VM or (in the lab) a network namespace.
public struct Host: Sendable, Hashable, Codable {
    public var name: String
    /// The host's address on the network under test; peers and partitions use it.
    public var address: String
    /// The agent's base URL, e.g. `https://10.0.0.7:7433`.
    public var agent: String
    public var labels: [String: String]

    public init(name: String, address: String, agent: String, labels: [String: String] = [:]) {
        self.name = name; self.address = address; self.agent = agent; self.labels = labels
    }
}
