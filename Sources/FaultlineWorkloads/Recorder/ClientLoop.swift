import FaultlineChecker

/// What one client thread does: pick an operation, perform it, record it, repeat.
struct ClientLoop {
    let configuration: WorkloadConfiguration
    let slot: Int
    let client: any RegisterClient
    let log: OperationLog
    private var generator: Xoshiro256
    private var identity: ClientIdentity
    /// The last value this client saw in each key (read or written): the expected value
    /// of its next CAS there, so CASes both succeed and fail.
    private var lastSeen: [String: String] = [:]
    private let keys: [String]

    init(configuration: WorkloadConfiguration, slot: Int, seed: UInt64, client: any RegisterClient, log: OperationLog) {
        self.configuration = configuration
        self.slot = slot
        self.client = client
        self.log = log
        // Each slot gets its own stream derived from the run's seed (a golden-ratio step,
        // which Xoshiro's SplitMix seeding then scrambles).
        generator = Xoshiro256(seed: seed &+ UInt64(slot + 1) &* 0x9E37_79B9_7F4A_7C15)
        identity = ClientIdentity(slot: slot, slots: configuration.clients)
        keys = configuration.keyNames
    }

    mutating func run(until end: UInt64, stop: StopSignal) {
        var pacer = configuration.rate.map { Pacer(interval: .nanoseconds(Int64(Double(configuration.clients) / $0 * 1e9))) }
        let casAvailable = client.supportsCAS
        while !stop.isStopped && MonotonicClock.now() < end {
            if pacer != nil {
                pacer!.waitForNextSlot { stop.isStopped || MonotonicClock.now() >= end }
                if stop.isStopped || MonotonicClock.now() >= end { break }
            }
            let key = keys[Int(generator.next() % UInt64(keys.count))]
            let kind = configuration.mix.pick(using: &generator, casAvailable: casAvailable)
            var planned = PlannedOperation(kind: kind, key: key)
            if kind != .read { planned.value = identity.nextValue() }
            if kind == .cas { planned.expected = lastSeen[key] }
            let (operation, reason) = client.perform(planned, client: identity.clientID, timeout: configuration.operationTimeout)
            log.append(operation, reason: reason)
            switch operation.outcome {
            case .ok:
                lastSeen[key] = operation.value   // nil (read as absent) removes the entry
            case .fail where kind == .cas && reason == nil:
                // A mismatch: what we expected is stale; read before the next CAS here.
                lastSeen[key] = nil
            case .fail:
                sleepMonotonic(configuration.backoffAfterFailure)
            case .info:
                identity.retire()
                sleepMonotonic(configuration.backoffAfterFailure)
            }
        }
    }
}
