/// The local lab's addressing, shared by `faultline lab` (which builds it) and by plans
/// that say `inventory: lab` (which read the inventory it writes).
///
/// Hosts are network namespaces `fl-lab-nI` on a bridge, addressed inside the namespaces
/// only, in 10.77.0.0/24 (host I at 10.77.0.(10+I)); each runs an agent on port 7433.
public enum LabInventory {
    public static let subnet = "10.77.0.0/24"
    public static let agentPort = 7433
    /// Where `faultline lab up` writes the inventory; `FAULTLINE_LAB_DIR` overrides the folder.
    public static func inventoryPath(environment: [String: String]) -> String {
        (environment["FAULTLINE_LAB_DIR"] ?? "/run/faultline/lab") + "/inventory.yaml"
    }

    public static func address(ofHost index: Int) -> String { "10.77.0.\(10 + index)" }

    /// The layout `faultline lab up --hosts N --service S` produces, for dry runs when no lab is up.
    public static func layout(hosts count: Int = 3, service: String = "etcd") -> Inventory {
        Inventory(hosts: (1...count).map { i in
            Host(name: "n\(i)", address: address(ofHost: i), agent: "https://\(address(ofHost: i)):\(agentPort)",
                 labels: service == "none" ? [:] : ["role": service])
        })
    }
}
