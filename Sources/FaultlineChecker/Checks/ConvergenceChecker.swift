/// Checks that replicas converged after a heal: every node returns the same value for
/// every key in the final reads (`Operation.isFinalRead`, with `node` set).
///
/// A key that some node returned and another node did not read at all is reported too
/// (that node's answer is missing, shown as "no read"). Nodes and keys are reported in
/// sorted order.
public enum ConvergenceChecker {
    public struct Divergence: Sendable, Equatable {
        public var key: String
        /// Each node and the value it returned (`nil` = absent), sorted by node.
        public var values: [(node: String, value: String?, read: Bool)]

        public static func == (a: Divergence, b: Divergence) -> Bool {
            a.key == b.key && a.values.elementsEqual(b.values) { $0.node == $1.node && $0.value == $1.value && $0.read == $1.read }
        }
    }

    public struct Result: Sendable {
        public var divergences: [Divergence]
        /// Final reads examined.
        public var finalReads: Int
        public var verdict: Verdict { divergences.isEmpty ? .ok : .illegal }
    }

    public static func check(_ history: History) -> Result {
        var readings: [String: [String: String?]] = [:]   // key → node → value
        var nodes = Set<String>()
        var count = 0
        for operation in history.operations
        where operation.isFinalRead && operation.kind == .read && operation.outcome == .ok {
            guard let node = operation.node else { continue }
            nodes.insert(node)
            readings[operation.key, default: [:]][node] = .some(operation.value)
            count += 1
        }
        let allNodes = nodes.sorted()
        var divergences: [Divergence] = []
        for key in readings.keys.sorted() {
            let byNode = readings[key]!
            let values = allNodes.map { node -> (node: String, value: String?, read: Bool) in
                if let value = byNode[node] { return (node, value, true) }
                return (node, nil, false)
            }
            let first = values[0]
            if values.contains(where: { $0.read != first.read || $0.value != first.value }) {
                divergences.append(Divergence(key: key, values: values))
            }
        }
        return Result(divergences: divergences, finalReads: count)
    }

    /// One line per diverging key: `key "x": n1 = "3", n2 = "4", n3 = no read`.
    public static func explanation(_ result: Result) -> String {
        result.divergences.map { divergence in
            let parts = divergence.values.map { entry in
                "\(entry.node) = \(entry.read ? Operation.show(entry.value) : "no read")"
            }
            return "not converged: key \"\(divergence.key)\": " + parts.joined(separator: ", ")
        }.joined(separator: "\n")
    }
}
