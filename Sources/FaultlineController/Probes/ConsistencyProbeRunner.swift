import FaultlineChecker
import FaultlineCore
import FaultlinePlan
import FaultlineWorkloads
import Foundation
import Synchronization

/// A consistency probe over its span: a recorded register workload (FaultlineWorkloads'
/// `WorkloadRecorder`, one thread per client) started before the span and stopped after
/// it, then judged by FaultlineChecker (linearizable per key, no lost acknowledged write,
/// replicas converged in the final reads).
public final class ConsistencyProbeRunner: Sendable {
    public let name: String
    public let probe: ConsistencyProbe
    let recorder: WorkloadRecorder
    let stop = StopSignal()
    private let recording = Mutex<WorkloadRecording?>(nil)
    private let done = DispatchSemaphore(value: 0)
    /// The moment the clients started, on the run's clock and the history's (monotonic ns).
    private let anchor = Mutex<(t: Double, nanoseconds: UInt64)?>(nil)

    public struct SetupError: Error, CustomStringConvertible { public var description: String }

    /// - Parameters:
    ///   - hosts: the probe target's hosts; clients are spread over them.
    ///   - keyPrefix: keys the run owns (the run's short id keeps runs apart).
    public init(name: String, probe: ConsistencyProbe, hosts: [Host], keyPrefix: String, seed: UInt64) throws(SetupError) {
        self.name = name
        self.probe = probe
        guard !hosts.isEmpty else { throw SetupError(description: "consistency probe '\(name)': target '\(probe.target)' has no hosts") }
        var nodes: [Endpoint] = []
        var base = ""
        for host in hosts {
            switch probe.workload {
            case .etcdRegister: nodes.append(Endpoint(name: host.name, host: host.address, port: 2379))
            case .redisRegister: nodes.append(Endpoint(name: host.name, host: host.address, port: 6379))
            case .httpKV:
                let url = HostTemplate.fill(probe.url ?? "http://{{host.address}}:8080", host: host)
                let parsed: ProbeURL
                do { parsed = try ProbeURL.parse(url) } catch { throw SetupError(description: "consistency probe '\(name)': \(error)") }
                if parsed.secure { throw SetupError(description: "consistency probe '\(name)': '\(url)': the http-kv workload speaks plain http:// only") }
                // The host part is dialled; the path is the API's prefix.
                let host6 = parsed.host
                nodes.append(Endpoint(name: host.name, host: host6, port: parsed.port))
                base = parsed.target == "/" ? "" : (parsed.target.hasSuffix("/") ? String(parsed.target.dropLast()) : parsed.target)
            }
        }
        let timeout = Duration.nanoseconds(probe.timeout.nanoseconds)
        let configuration = WorkloadConfiguration(
            name: probe.workload.rawValue, nodes: nodes, clients: probe.clients, keys: probe.keys, keyPrefix: keyPrefix,
            rate: probe.rate.map { $0 * Double(probe.clients) }, duration: nil, operationTimeout: timeout,
            connectTimeout: min(timeout, .milliseconds(500)), seed: seed)
        do {
            switch probe.workload {
            case .etcdRegister: recorder = try WorkloadRecorder.etcd(configuration)
            case .redisRegister: recorder = try WorkloadRecorder.redis(configuration)
            case .httpKV:
                var api = HTTPKeyValueRegisterClient.API()
                api.base = base
                let outcome = probe.outcome
                api.outcome = .init(name: outcome.header, notApplied: Set(outcome.failed),
                                    indeterminate: Set(outcome.indeterminate))
                api.notAppliedStatuses.formUnion(outcome.failedStatuses)
                recorder = try WorkloadRecorder.httpKeyValue(configuration, api: api)
            }
        } catch {
            throw SetupError(description: "consistency probe '\(name)': \(error)")
        }
    }

    /// Starts the clients (returns at once). `runTime` is now on the run's clock, so the
    /// history's times can be drawn on the run's timeline.
    public func start(runTime: Double) {
        anchor.withLock { $0 = (runTime, MonotonicClock.now()) }
        let thread = Thread { [self] in
            let result = recorder.record(stop: stop)
            recording.withLock { $0 = result }
            done.signal()
        }
        thread.name = "fl-consistency"
        thread.start()
    }

    /// Stops the clients, waits for in-flight operations and the final reads, then checks
    /// the history. Writes it (JSON Lines) to `historyFile` when given.
    public func finish(historyFile: String?, checkBudget: Duration = .seconds(30)) async -> ConsistencyRecord {
        stop.stop()
        let recorded: WorkloadRecording = await Blocking.run("fl-consistency-wait") { [self] in
            done.wait()
            done.signal()
            return recording.withLock { $0! }
        }
        var written: String?
        if let historyFile {
            do {
                try recorded.jsonLines().write(toFile: historyFile, atomically: true, encoding: .utf8)
                written = historyFile
            } catch {
                written = nil
            }
        }
        let checks = probe.checks
        let history = recorded.history
        let verdicts: [ConsistencyRecord.Verdict] = await Blocking.run("fl-consistency-check") {
            Self.judge(history, checks: checks, budget: checkBudget)
        }
        var record = ConsistencyRecord(probe: name, workload: probe.workload.rawValue,
                                       operations: recorded.workloadOperations.count, ok: recorded.count(.ok), failed: recorded.count(.fail),
                                       indeterminate: recorded.count(.info), verdicts: verdicts, historyFile: written)
        if let anchor = anchor.withLock({ $0 }) {
            record.timeline = WorkloadTimeline.of(history.operations, anchorT: anchor.t, anchorNanoseconds: anchor.nanoseconds)
        }
        return record
    }

    /// Pure apart from the checker's threads and the clock: the verdict of each requested
    /// check, with how long it took (the time a JUnit testcase of that verdict reports).
    static func judge(_ history: History, checks: [ConsistencyProbe.Check], budget: Duration) -> [ConsistencyRecord.Verdict] {
        var out: [ConsistencyRecord.Verdict] = []
        let clock = ContinuousClock()
        for check in checks {
            let started = clock.now
            // Every case below appends exactly one verdict: this one.
            defer { out[out.count - 1].checkSeconds = (clock.now - started) / .seconds(1) }
            switch check {
            case .linearizable:
                do {
                    let result = try LinearizabilityChecker.check(history, model: .cas, timeout: budget)
                    switch result.verdict {
                    case .ok: out.append(.init(check: check.rawValue, result: "ok", explanation: nil))
                    case .illegal: out.append(.init(check: check.rawValue, result: "violation", explanation: result.explanation(history: history)))
                    case .unknown: out.append(.init(check: check.rawValue, result: "unknown", explanation: result.limitReached == .memory
                        ? "no verdict: the search ran out of its memory budget" : "no verdict within \(budget)"))
                    }
                } catch {
                    out.append(.init(check: check.rawValue, result: "unknown", explanation: "history does not fit the register model: \(error)"))
                }
            case .lostWrites:
                let result = LostWriteChecker.check(history, semantics: .register)
                out.append(result.lost.isEmpty ? .init(check: check.rawValue, result: "ok", explanation: nil)
                           : .init(check: check.rawValue, result: "violation", explanation: LostWriteChecker.explanation(result, history: history)))
            case .convergence:
                let result = ConvergenceChecker.check(history)
                out.append(result.divergences.isEmpty ? .init(check: check.rawValue, result: "ok", explanation: nil)
                           : .init(check: check.rawValue, result: "violation", explanation: ConvergenceChecker.explanation(result)))
            }
        }
        return out
    }
}
