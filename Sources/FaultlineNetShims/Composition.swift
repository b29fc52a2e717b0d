/// Any network fault spec, for deciding whether two faults can be live on one host at once.
public enum NetFaultSpec: Sendable, Codable, Hashable {
    case partition(PartitionSpec)
    case loss(LossSpec)
    case delayEngine(DelayEngineSpec)
    case netem(NetemSpec)
    case bandwidth(BandwidthSpec)
}

/// Whether two faults compose.
public enum Composition: Sendable, Equatable {
    case composes
    case refused(reason: String)
}

/// Decides whether two faults can be applied together (pure; the agent calls it before
/// applying a second fault on a host).
///
/// Each fault claims the exclusive kernel resources it needs; two faults compose unless they
/// claim the same one:
/// - partition and loss each own a whole nftables table, so they compose with everything
///   (including each other: a peer can be partitioned while another loses 10 %);
/// - netem and egress bandwidth each need the device's single root qdisc;
/// - ingress bandwidth and ingress netem need the device's single ingress qdisc (and
///   compose with a root);
/// - the delay engine needs the namespace's `mangle PREROUTING`: a second engine there would
///   never see the packets the first one accepted (an NFQUEUE `NF_ACCEPT` verdict ends the
///   traversal of that hook's chain), so it would silently not apply.
public func composition(_ first: NetFaultSpec, _ second: NetFaultSpec) -> Composition {
    for claim in first.exclusiveClaims where second.exclusiveClaims.contains(claim) {
        return .refused(reason: claim.conflict)
    }
    return .composes
}

extension NetFaultSpec {
    struct Claim: Hashable {
        var resource: String
        var conflict: String
    }

    var exclusiveClaims: [Claim] {
        switch self {
        case .partition, .loss:
            return []
        case let .delayEngine(spec):
            let where_ = Self.namespaceText(spec.namespace)
            return [Claim(resource: "mangle-prerouting \(where_)",
                          conflict: "two delay-engine faults in \(where_): the first one's NF_ACCEPT verdict ends mangle PREROUTING, so the second would never see those packets")]
        case let .netem(spec):
            switch spec.direction {
            case .egress: return [Self.rootClaim(spec.namespace, spec.device)]
            case .ingress: return [Self.ingressClaim(spec.namespace, spec.device)]
            }
        case let .bandwidth(spec):
            switch spec.direction {
            case .egress: return [Self.rootClaim(spec.namespace, spec.device)]
            case .ingress: return [Self.ingressClaim(spec.namespace, spec.device)]
            }
        }
    }

    /// Ingress bandwidth and ingress netem (latency on netem hosts) share this.
    static func ingressClaim(_ namespace: NetNamespace?, _ device: String) -> Claim {
        let where_ = "\(device) in \(namespaceText(namespace))"
        return Claim(resource: "ingress \(where_)",
                     conflict: "two ingress faults on \(where_): a device has one ingress qdisc")
    }

    static func rootClaim(_ namespace: NetNamespace?, _ device: String) -> Claim {
        let where_ = "\(device) in \(namespaceText(namespace))"
        return Claim(resource: "root \(where_)",
                     conflict: "two root qdiscs on \(where_): netem and egress bandwidth each need the device's single root qdisc")
    }

    static func namespaceText(_ namespace: NetNamespace?) -> String {
        namespace.map { "netns \($0.filePath)" } ?? "the agent's namespace"
    }
}
