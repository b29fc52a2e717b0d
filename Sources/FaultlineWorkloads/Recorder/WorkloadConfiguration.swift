/// What a recorder runs: how many clients against which nodes, on which keys, how fast,
/// for how long, and with which random seed.
public struct WorkloadConfiguration: Sendable {
    /// A name for people, written into the history's header (e.g. `etcd-register`).
    public var name: String
    /// The nodes of the system under test. Client `i` talks to `nodes[i % nodes.count]`,
    /// so clients are spread evenly and a fault on one node hits a known set of clients.
    public var nodes: [Endpoint]
    /// Concurrent clients, one thread each.
    public var clients: Int
    /// Keys `"\(keyPrefix)0"` … `"\(keyPrefix)\(keys - 1)"`, chosen uniformly.
    public var keys: Int
    public var keyPrefix: String
    public var mix: OperationMix
    /// Total operations per second over all clients; `nil` = as fast as they can.
    public var rate: Double?
    /// How long to issue operations; `nil` = until the stop signal.
    public var duration: Duration?
    /// An operation without an answer by then is abandoned and recorded `info`.
    public var operationTimeout: Duration
    /// Connect timeout, within the operation timeout.
    public var connectTimeout: Duration
    /// Pause after an operation that failed or is indeterminate, so that a client of a
    /// dead node does not spin on "connection refused".
    public var backoffAfterFailure: Duration
    /// Seed of every random choice (operation kind, key); `nil` = a fresh one, recorded
    /// in the result so the run's choices can be repeated.
    public var seed: UInt64?
    /// Read every key on every node of `finalReadNodes` (default: all nodes) after the
    /// run, for the convergence check.
    public var finalReads: Bool
    public var finalReadNodes: [Endpoint]?
    /// Wait this long after the run before the final reads, for systems that converge
    /// asynchronously.
    public var settleBeforeFinalReads: Duration
    /// Attempts per final read, when one fails or times out.
    public var finalReadAttempts: Int

    public init(name: String, nodes: [Endpoint], clients: Int = 4, keys: Int = 4, keyPrefix: String = "k",
                mix: OperationMix = OperationMix(), rate: Double? = nil, duration: Duration? = .seconds(3),
                operationTimeout: Duration = .seconds(1), connectTimeout: Duration = .milliseconds(500),
                backoffAfterFailure: Duration = .milliseconds(20), seed: UInt64? = nil, finalReads: Bool = true,
                finalReadNodes: [Endpoint]? = nil, settleBeforeFinalReads: Duration = .zero, finalReadAttempts: Int = 3) {
        self.name = name
        self.nodes = nodes
        self.clients = clients
        self.keys = keys
        self.keyPrefix = keyPrefix
        self.mix = mix
        self.rate = rate
        self.duration = duration
        self.operationTimeout = operationTimeout
        self.connectTimeout = connectTimeout
        self.backoffAfterFailure = backoffAfterFailure
        self.seed = seed
        self.finalReads = finalReads
        self.finalReadNodes = finalReadNodes
        self.settleBeforeFinalReads = settleBeforeFinalReads
        self.finalReadAttempts = finalReadAttempts
    }

    var keyNames: [String] { (0..<keys).map { "\(keyPrefix)\($0)" } }

    /// What is wrong with this configuration, if anything.
    func problems() -> [String] {
        var problems: [String] = []
        if nodes.isEmpty { problems.append("nodes: at least one node is needed") }
        if clients < 1 { problems.append("clients: must be at least 1, not \(clients)") }
        if keys < 1 { problems.append("keys: must be at least 1, not \(keys)") }
        if let rate, !(rate > 0) { problems.append("rate: must be > 0 operations per second, not \(rate)") }
        if operationTimeout <= .zero { problems.append("operationTimeout: must be > 0") }
        if finalReadAttempts < 1 { problems.append("finalReadAttempts: must be at least 1") }
        return problems
    }
}
