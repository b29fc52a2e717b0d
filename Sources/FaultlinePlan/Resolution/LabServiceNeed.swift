/// Which service of `faultline lab up --service S` a plan is written for, and which one a
/// lab's inventory runs: so that a plan dry-run against a lab of the other kind can say
/// "this plan needs a Redis lab" instead of only "no host has the labels role=redis".
///
/// Read from what the plan itself says: its targets' `role` labels (the lab labels its
/// hosts `role: etcd`, `role: redis`, `role: haproxy` and `role: backend`), its dynamic
/// targets (`etcd-leader`, `redis-primary`, …) and its consistency workloads.
public enum LabServiceNeed {
    /// The lab services, as `--service` names them.
    public static let services = ["etcd", "redis", "haproxy"]

    /// The lab service a `role` label value belongs to.
    static func service(ofRole role: String) -> String? {
        switch role {
        case "etcd": "etcd"
        case "redis": "redis"
        case "haproxy", "backend": "haproxy"
        default: nil
        }
    }

    /// The service the plan needs, or nil when it names none (or several).
    public static func service(of plan: Plan) -> String? {
        var needed: Set<String> = []
        for target in plan.targets {
            switch target.selection {
            case .labels(let labels):
                if let role = labels["role"], let service = service(ofRole: role) { needed.insert(service) }
                if labels["redis-role"] != nil { needed.insert("redis") }
            case .dynamic(_, let resolver):
                switch resolver {
                case .etcdLeader, .etcdFollowers: needed.insert("etcd")
                case .redisPrimary, .redisReplicas: needed.insert("redis")
                }
            default: break
            }
        }
        for probe in plan.steadyState {
            guard case .consistency(let c) = probe.probe else { continue }
            switch c.workload {
            case .etcdRegister: needed.insert("etcd")
            case .redisRegister: needed.insert("redis")
            case .httpKV: break
            }
        }
        return needed.count == 1 ? needed.first : nil
    }

    /// The service a lab's inventory runs, from its hosts' `role` labels; nil for none
    /// (`--service none`, or not a lab).
    public static func service(of inventory: Inventory) -> String? {
        let found = Set(inventory.hosts.compactMap { $0.labels["role"].flatMap(service(ofRole:)) })
        return found.count == 1 ? found.first : nil
    }
}
