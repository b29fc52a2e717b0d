import FaultlinePlan
import Foundation

/// Redis with a primary (n1), replicas (the other hosts) and a sentinel on every host
/// (quorum: a majority) that promotes a replica when the primary is cut off.
public enum LabRedis {
    public static let server = "/usr/bin/redis-server"
    public static let port = 6379
    public static let sentinelPort = 26379

    /// Adds `redis-role: primary|replica` labels beside `role: redis`.
    static func label(_ inventory: Inventory, service: LabService) -> Inventory {
        guard service == .redis else { return inventory }
        var copy = inventory
        for i in copy.hosts.indices { copy.hosts[i].labels["redis-role"] = i == 0 ? "primary" : "replica" }
        return copy
    }

    static func start(options: LabOptions, state: inout LabState) async throws {
        throw LabError.unsupported("--service redis is not implemented yet")
    }

    static func startServer(host i: Int, hosts: Int, addressing a: LabAddressing, directory: String, state: inout LabState) throws {
        throw LabError.unsupported("--service redis is not implemented yet")
    }

    static func describe(host i: Int, addressing a: LabAddressing, state: LabState) -> (String, Bool) {
        ("unknown", false)
    }
}
