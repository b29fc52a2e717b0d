/// Pure generation of the nftables batches for inbound faults (partition, loss).
///
/// One table per fault, `table inet fl_<id>`, with an `input` base chain (and a `forward` one
/// when asked) at priority -300 so our drops run before the host's own filter chains count the
/// packets. Each chain holds, in order: accept loopback; accept every management exemption;
/// then the drops. An `accept` in our chain only ends *our* chain, so the exemptions never
/// override anybody else's rules; they only guarantee we never drop management traffic.
///
/// The batch replaces the table atomically: `add table` (no-op if present), `delete table`,
/// then the full definition, all in one transaction, so re-applying after a crash is safe.
enum NFTablesRuleset {
    static let priority = -300

    /// The whole batch for a fault: `drop` is the verdict statement, optionally preceded by a
    /// `numgen` sampling expression (loss). With `replacing`, the batch first deletes an
    /// existing table of the same name in the same transaction (re-apply); without, it only
    /// creates — deleting anything costs an RCU grace period in the kernel (10–20 ms here), so
    /// the common first apply avoids it.
    static func batch(table: String, match: InboundMatch, exemptions: [ManagementExemption],
                      dropStatement: String, replacing: Bool = true) -> String {
        let rules = ["iif \"lo\" accept"]
            + exemptions.flatMap(exemptionRules)
            + dropRules(match: match, statement: dropStatement)
        var chains = [chain(named: "input", hook: "input", rules: rules)]
        if match.includeForwarded {
            chains.append(chain(named: "forward", hook: "forward", rules: Array(rules.dropFirst())))
        }
        let replace = replacing ? "add table inet \(table)\ndelete table inet \(table)\n" : ""
        return """
            \(replace)table inet \(table) {
            \(chains.joined(separator: "\n"))
            }

            """
    }

    /// `numgen random mod 10000 < N`: the loss percentage in hundredths of a percent, so
    /// 12.34 % is N = 1234 (resolution 0.01 %).
    static func lossSample(percent: Double) -> String {
        let threshold = Int((percent * 100).rounded())
        return "numgen random mod 10000 < \(threshold)"
    }

    /// The verdict of a loss fault: a sampled drop, or a plain `drop` when the percentage
    /// rounds to 100 % (nft refuses `< 10000`: the value is outside numgen's 0-9999).
    static func lossStatement(percent: Double) -> String {
        Int((percent * 100).rounded()) >= 10_000 ? "drop" : "\(lossSample(percent: percent)) drop"
    }

    private static func chain(named name: String, hook: String, rules: [String]) -> String {
        let body = rules.map { "\t\t\($0)" }.joined(separator: "\n")
        return """
            \tchain \(name) {
            \t\ttype filter hook \(hook) priority \(priority); policy accept;
            \(body)
            \t}
            """
    }

    /// The controller calling the agent: TCP to the agent's port, from the controller's
    /// address when one is known. Nothing else: not the agent port as a *source* (anything
    /// the controller host sends from port 7433 would pass a partition to every port), not
    /// UDP (the agent's API is HTTPS). The agent's replies leave through the output hook,
    /// which these inbound-only tables never filter.
    static func exemptionRules(_ exemption: ManagementExemption) -> [String] {
        let source = exemption.address.map { "\(addressKeyword($0)) saddr \($0) " } ?? ""
        guard let port = exemption.port else { return ["\(source)accept"] }
        return ["\(source)tcp dport \(port) accept"]
    }

    static func dropRules(match: InboundMatch, statement: String) -> [String] {
        // One source selector per address family present (or none for "every source").
        let sources: [(family: IPNetwork.Family?, text: String)]
        if match.peers.isEmpty {
            sources = [(nil, "")]
        } else {
            sources = [IPNetwork.Family.ipv4, .ipv6].compactMap { family in
                let peers = match.peers.filter { $0.family == family }
                guard !peers.isEmpty else { return nil }
                let keyword = family == .ipv4 ? "ip" : "ip6"
                let set = peers.map(\.description).joined(separator: ", ")
                return (family, "\(keyword) saddr { \(set) } ")
            }
        }
        var rules: [String] = []
        for source in sources {
            for transport in transportSelectors(match, family: source.family) {
                rules.append("\(source.text)\(transport)\(statement)")
            }
        }
        return rules
    }

    private static func transportSelectors(_ match: InboundMatch, family: IPNetwork.Family?) -> [String] {
        let ports = match.ports.map(String.init).joined(separator: ", ")
        let protocols: String
        switch match.transport {
        case .all: protocols = "{ tcp, udp }"
        case .tcp: protocols = "tcp"
        case .udp: protocols = "udp"
        case .icmp:
            switch family {
            case .ipv4: return ["meta l4proto icmp "]
            case .ipv6: return ["meta l4proto ipv6-icmp "]
            case nil: return ["meta l4proto { icmp, ipv6-icmp } "]
            }
        }
        if match.ports.isEmpty {
            return match.transport == .all ? [""] : ["meta l4proto \(protocols) "]
        }
        return [
            "meta l4proto \(protocols) th dport { \(ports) } ",
            "meta l4proto \(protocols) th sport { \(ports) } ",
        ]
    }

    private static func addressKeyword(_ network: IPNetwork) -> String {
        network.family == .ipv4 ? "ip" : "ip6"
    }
}
