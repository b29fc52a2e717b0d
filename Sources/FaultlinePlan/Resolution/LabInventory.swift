/// The local lab's addressing, shared by `faultline lab` (which builds it) and by plans
/// that say `inventory: lab` (which read the inventory it writes).
///
/// A lab has a short name and a subnet index N. Its hosts are network namespaces
/// `fl-NAME-nI` on a bridge `fl-NAME-br`, addressed inside the namespaces only, in
/// 10.77.N.0/24: the bridge (the controller's side, in the root namespace) is 10.77.N.1,
/// host I is 10.77.N.(10+I); each host runs an agent on port 7433. The default lab is
/// named `lab` on 10.77.0.0/24; tests run several labs side by side with their own names
/// and subnets.
public struct LabAddressing: Sendable, Hashable {
    /// Lower-case letters and digits, 1–8 of them: every link name built from it must fit
    /// the kernel's 15-byte limit (`fl-` + name + `-v9`), and no name may be a prefix of
    /// another lab's objects (`fl-lab-` never matches `fl-lab2-`).
    public let name: String
    /// N in 10.77.N.0/24.
    public let subnetIndex: Int

    public static let maximumNameLength = 8
    public static let maximumHosts = 9
    public static let standard = LabAddressing(validName: "lab", subnetIndex: 0)

    private init(validName: String, subnetIndex: Int) { self.name = validName; self.subnetIndex = subnetIndex }

    /// A lab's addressing, or a message saying what is wrong with the name or index.
    public static func make(name: String, subnetIndex: Int) -> Result<LabAddressing, LabAddressingError> {
        guard !name.isEmpty, name.count <= maximumNameLength,
              name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) }) else {
            return .failure(LabAddressingError(message:
                "lab name '\(name)': expected 1 to \(maximumNameLength) lower-case letters or digits (it becomes part of link names, limited to 15 bytes)"))
        }
        guard (0...255).contains(subnetIndex) else {
            return .failure(LabAddressingError(message: "subnet index \(subnetIndex): expected 0 to 255 (10.77.N.0/24)"))
        }
        return .success(LabAddressing(validName: name, subnetIndex: subnetIndex))
    }

    /// Parses `10.77.N.0/24` (the only form a lab uses: a private /24 the lab owns).
    public static func subnetIndex(parsing text: String) -> Result<Int, LabAddressingError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let octets = parts.first?.split(separator: ".", omittingEmptySubsequences: false) ?? []
        guard parts.count == 2, parts[1] == "24", octets.count == 4, octets[0] == "10", octets[1] == "77", octets[3] == "0",
              let n = Int(octets[2]), (0...255).contains(n), String(n) == octets[2] else {
            return .failure(LabAddressingError(message: "subnet '\(text)': expected 10.77.N.0/24 with N from 0 to 255"))
        }
        return .success(n)
    }

    public var subnet: String { "10.77.\(subnetIndex).0/24" }
    /// The prefix of every kernel object this lab creates.
    public var prefix: String { "fl-\(name)-" }
    public var bridge: String { "fl-\(name)-br" }
    /// The bridge's address: where the controller (root namespace) talks from.
    public var bridgeAddress: String { "10.77.\(subnetIndex).1" }
    public func hostName(_ index: Int) -> String { "n\(index)" }
    public func namespace(ofHost index: Int) -> String { "fl-\(name)-n\(index)" }
    /// The root-namespace end of host I's veth (the other end is `eth0` inside the host).
    public func vethName(ofHost index: Int) -> String { "fl-\(name)-v\(index)" }
    public func address(ofHost index: Int) -> String { "10.77.\(subnetIndex).\(10 + index)" }
    public func agentURL(ofHost index: Int) -> String { "https://\(address(ofHost: index)):\(LabInventory.agentPort)" }

    /// Guests (`lab up --guests N`): QEMU machines on the same bridge, through a tap each,
    /// at 10.77.N.(100+I), named gI.
    public static let maximumGuests = 9
    public func guestName(_ index: Int) -> String { "g\(index)" }
    public func tapName(ofGuest index: Int) -> String { "fl-\(name)-t\(index)" }
    public func address(ofGuest index: Int) -> String { "10.77.\(subnetIndex).\(100 + index)" }
    public func agentURL(ofGuest index: Int) -> String { "https://\(address(ofGuest: index)):\(LabInventory.agentPort)" }

    /// The host HAProxy runs on in a `--service haproxy` lab; the others are its backends.
    public static let haproxyHost = 1

    /// The layout `faultline lab up --hosts N --service S --guests G` produces.
    public func layout(hosts count: Int = 3, service: String = "etcd", guests: Int = 0) -> Inventory {
        let namespaceHosts = (1...max(1, count)).map { i in
            Host(name: hostName(i), address: address(ofHost: i), agent: agentURL(ofHost: i),
                 labels: Self.serviceLabels(host: i, service: service))
        }
        let guestHosts = guests < 1 ? [] : (1...guests).map { i in
            Host(name: guestName(i), address: address(ofGuest: i), agent: agentURL(ofGuest: i), labels: ["kind": "guest"])
        }
        return Inventory(hosts: namespaceHosts + guestHosts)
    }
}

extension LabAddressing {
    /// What a namespace host's labels say about its part in the service: `role: S`, except
    /// HAProxy on n1 before `role: backend` hosts, and Redis's `redis-role` (primary on n1
    /// as `up` starts it; stale after a failover, so plans that follow the primary use
    /// `probe: redis-primary`, which asks the servers at run time).
    static func serviceLabels(host i: Int, service: String) -> [String: String] {
        switch service {
        case "none": [:]
        case "haproxy": ["role": i == haproxyHost ? "haproxy" : "backend"]
        case "redis": ["role": "redis", "redis-role": i == 1 ? "primary" : "replica"]
        default: ["role": service]
        }
    }
}

public struct LabAddressingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The default lab (`faultline lab up` without `--name`/`--subnet`), as plans see it.
public enum LabInventory {
    public static let agentPort = 7433
    public static let defaultDirectory = "/run/faultline/lab"

    /// The default lab's folder: `FAULTLINE_LAB_DIR` or /run/faultline/lab.
    public static func directory(environment: [String: String]) -> String {
        environment["FAULTLINE_LAB_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultDirectory
    }

    /// Where `faultline lab up` writes the inventory; `FAULTLINE_LAB_DIR` overrides the folder.
    public static func inventoryPath(environment: [String: String]) -> String {
        directory(environment: environment) + "/inventory.yaml"
    }


    /// The layout `faultline lab up --hosts N --service S` produces, for dry runs when no lab is up.
    public static func layout(hosts count: Int = 3, service: String = "etcd") -> Inventory {
        LabAddressing.standard.layout(hosts: count, service: service)
    }
}
