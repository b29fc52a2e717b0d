import FaultlineCore
import FaultlinePlan

/// One fault for one host, ready to travel to that host's agent: every peer is an address.
public struct HostFault: Sendable, Hashable {
    public var host: Host
    public var id: String
    public var fault: Fault
    public init(host: Host, id: String, fault: Fault) { self.host = host; self.id = id; self.fault = fault }
}

/// Turns a plan's fault step into per-host faults. Pure: the caller has already resolved
/// every target the step names (`hostsOf`, static or at run time) and passes them in.
///
/// - Partitions: the topology becomes a `Grudge` (who cannot hear whom, the same
///   computation `faultline plan` prints) and each host that cannot hear someone gets an
///   `inbound` partition dropping packets from those hosts' addresses. Hosts that hear
///   everyone get nothing.
/// - Other network faults go to the target's hosts; peers naming targets become the
///   addresses of those targets' hosts (/32 or /128).
/// - Process and clock faults go to the target's hosts unchanged.
public enum FaultAssignment {
    public struct AssignmentError: Error, CustomStringConvertible, Sendable, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// - Parameters:
    ///   - step: the plan's fault step.
    ///   - stepPath: the step's path for messages (`method[0]`).
    ///   - hostsOf: target name → its hosts, for every target the step names.
    ///   - inventory: every host (partitions without `from` cut against all of them).
    ///   - seed: the run's seed (random halves).
    ///   - runShort / sequence: the fault id's parts (`FaultID`).
    public static func assign(_ step: FaultStep, stepPath: String, hostsOf: [String: [Host]], inventory: Inventory,
                              seed: UInt64, runShort: String, sequence: Int) throws(AssignmentError) -> [HostFault] {
        func hosts(_ name: String) throws(AssignmentError) -> [Host] {
            guard let h = hostsOf[name] else { throw AssignmentError("\(stepPath): target '\(name)' was not resolved") }
            return h
        }
        func id(_ host: Host) -> String { FaultID.make(run: runShort, step: sequence, host: host.name) }

        switch step.fault {
        case .partition(let partition):
            let universe = inventory.hosts.map(\.name)
            let grudge: Grudge
            do {
                grudge = try Grudge.compute(partition.topology, universe: universe, seed: seed) { name in
                    guard let h = hostsOf[name] else { throw AssignmentError("\(stepPath): target '\(name)' was not resolved") }
                    return h.map(\.name)
                }
            } catch let error as AssignmentError {
                throw error
            } catch {
                throw AssignmentError("\(stepPath): \(error)")
            }
            var byName: [String: Host] = [:]
            for h in inventory.hosts { byName[h.name] = h }
            for list in hostsOf.values { for h in list where byName[h.name] == nil { byName[h.name] = h } }
            var out: [HostFault] = []
            for receiver in orderedNames(grudge.cannotHear.keys, inventory: inventory) {
                guard let host = byName[receiver] else { throw AssignmentError("\(stepPath): host '\(receiver)' is not in the inventory") }
                let senders = orderedNames(grudge.cannotHear[receiver] ?? [], inventory: inventory)
                var peers: [PeerRef] = []
                for name in senders {
                    guard let sender = byName[name] else { throw AssignmentError("\(stepPath): host '\(name)' is not in the inventory") }
                    peers.append(.cidr(try hostCIDR(sender, stepPath: stepPath)))
                }
                var filter = partition.filter
                filter.peers = peers
                filter.direction = .inbound
                out.append(HostFault(host: host, id: id(host), fault: .partition(Partition(topology: .inbound, filter: filter))))
            }
            return try unique(out, stepPath: stepPath)
        default:
            guard let target = step.target else { throw AssignmentError("\(stepPath): the step names no target") }
            var fault = step.fault
            if let filter = fault.filter {
                var resolved = filter
                var peers: [PeerRef] = []
                for peer in filter.peers {
                    guard case .target(let name) = peer else { peers.append(peer); continue }
                    let peerHosts = try hosts(name)
                    // An empty peer list means "every peer": a target that resolved to no
                    // host must not silently widen the fault to all traffic.
                    guard !peerHosts.isEmpty else { throw AssignmentError("\(stepPath): peers target '\(name)' has no hosts; refusing to widen the fault to every peer") }
                    for h in peerHosts { peers.append(.cidr(try hostCIDR(h, stepPath: stepPath))) }
                }
                resolved.peers = peers
                fault = fault.replacingFilter(resolved)
            }
            return try unique(try hosts(target).map { HostFault(host: $0, id: id($0), fault: fault) }, stepPath: stepPath)
        }
    }

    /// The address of a host as a single-address CIDR (`/32`, `/128`).
    static func hostCIDR(_ host: Host, stepPath: String) throws(AssignmentError) -> String {
        guard let cidr = CIDR(host.address), cidr.prefixLength == cidr.bytes.count * 8 else {
            throw AssignmentError("\(stepPath): host '\(host.name)' has address '\(host.address)', which is not an IP address; peers need addresses")
        }
        return "\(cidr)/\(cidr.bytes.count * 8)"
    }

    static func orderedNames(_ names: some Collection<String>, inventory: Inventory) -> [String] {
        let position = Dictionary(inventory.hosts.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        return names.sorted { (position[$0] ?? .max, $0) < (position[$1] ?? .max, $1) }
    }

    /// A host listed twice (two targets overlapping) gets the fault once; two distinct
    /// host names that sanitize to the same id get a numbered suffix.
    static func unique(_ faults: [HostFault], stepPath: String) throws(AssignmentError) -> [HostFault] {
        var seenHosts: Set<String> = []
        var seenIDs: Set<String> = []
        var out: [HostFault] = []
        for var f in faults where seenHosts.insert(f.host.name).inserted {
            var n = 2
            let base = f.id
            while seenIDs.contains(f.id) {
                let suffix = "_\(n)"
                f.id = String(base.prefix(FaultID.maxLength - suffix.count)) + suffix
                n += 1
            }
            seenIDs.insert(f.id)
            out.append(f)
        }
        return out
    }

    /// Every target name a step needs resolved before `assign`.
    public static func targetNames(of step: FaultStep) -> [String] {
        var names: [String] = []
        if case .partition(let p) = step.fault { names += p.topology.targetNames }
        if let t = step.target { names.append(t) }
        for peer in step.fault.filter?.peers ?? [] { if case .target(let n) = peer { names.append(n) } }
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }
}

extension Fault {
    /// The same fault with another network filter (network faults only).
    func replacingFilter(_ filter: NetworkFilter) -> Fault {
        switch self {
        case .latency(var f): f.filter = filter; return .latency(f)
        case .loss(var f): f.filter = filter; return .loss(f)
        case .duplicate(var f): f.filter = filter; return .duplicate(f)
        case .corrupt(var f): f.filter = filter; return .corrupt(f)
        case .reorder(var f): f.filter = filter; return .reorder(f)
        case .bandwidth(var f): f.filter = filter; return .bandwidth(f)
        case .partition(var f): f.filter = filter; return .partition(f)
        case .kill, .pause, .clock: return self
        }
    }
}
