import Foundation
import FaultlineChecker
import Synchronization

/// Runs a register workload against a system under test and records it as a `History`.
///
/// Each client is one thread doing blocking I/O with its own connection to one node: a
/// closed-loop load whose every operation has a known interval on one monotonic clock.
/// After the run (a duration, or a `StopSignal`), the recorder reads every key on every
/// node (`isFinalRead`) so the convergence check has something to compare.
///
/// All random choices come from one seed (`WorkloadConfiguration.seed`, recorded in the
/// result). The interleaving with the system under test is of course not repeatable.
public final class WorkloadRecorder: Sendable {
    /// Makes the client one thread uses to talk to one node.
    public typealias ClientFactory = @Sendable (Endpoint, WorkloadConfiguration) -> any RegisterClient

    public struct InvalidConfiguration: Error, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "invalid workload configuration: " + problems.joined(separator: "; ") }
    }

    public let configuration: WorkloadConfiguration
    private let makeClient: ClientFactory

    public init(_ configuration: WorkloadConfiguration, makeClient: @escaping ClientFactory) throws(InvalidConfiguration) {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw InvalidConfiguration(problems: problems) }
        self.configuration = configuration
        self.makeClient = makeClient
    }

    /// Runs the workload until its duration elapses or `stop` is signalled, then takes
    /// the final reads. Blocks the calling thread.
    public func record(stop: StopSignal = StopSignal()) -> WorkloadRecording {
        let configuration = configuration
        let seed = configuration.seed ?? UInt64.random(in: .min ... .max)
        let log = OperationLog()
        let group = DispatchGroup()
        let started = MonotonicClock.now()
        let end = configuration.duration.map { started &+ $0.nanoseconds } ?? UInt64.max
        for slot in 0..<configuration.clients {
            group.enter()
            let makeClient = makeClient
            let thread = Thread {
                defer { group.leave() }
                let node = configuration.nodes[slot % configuration.nodes.count]
                let client = makeClient(node, configuration)
                defer { client.close() }
                var loop = ClientLoop(configuration: configuration, slot: slot, seed: seed, client: client, log: log)
                loop.run(until: end, stop: stop)
            }
            thread.name = "fl-workload-\(slot)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        let stopped = MonotonicClock.now()
        if configuration.finalReads {
            if configuration.settleBeforeFinalReads > .zero { sleepMonotonic(configuration.settleBeforeFinalReads) }
            FinalReads(configuration: configuration, firstClientID: log.nextUnusedClientID(), log: log, makeClient: makeClient).run()
        }
        let (operations, reasons) = log.contents()
        return WorkloadRecording(name: configuration.name, history: History(operations: operations), seed: seed,
                                 started: started, stopped: stopped, failureReasons: reasons)
    }
}

/// The operations recorded so far, shared by the client threads.
final class OperationLog: Sendable {
    private let state = Mutex<(operations: [FaultlineChecker.Operation], reasons: [String: Int])>(([], [:]))

    func append(_ operation: FaultlineChecker.Operation, reason: String?) {
        state.withLock { state in
            state.operations.append(operation)
            if let reason { state.reasons[reason, default: 0] += 1 }
        }
    }

    func contents() -> ([FaultlineChecker.Operation], [String: Int]) {
        state.withLock { ($0.operations, $0.reasons) }
    }

    func nextUnusedClientID() -> Int {
        state.withLock { state in (state.operations.map(\.client).max() ?? -1) + 1 }
    }
}
