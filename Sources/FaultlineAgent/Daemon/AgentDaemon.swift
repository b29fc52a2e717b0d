import FaultlineAgentAPI
import FaultlineCore
import FaultlineProcShims
import Foundation
import Logging
import NIOCore
import NIOPosix

/// The running agent: configuration → capability log → ledger recovery → lease reaper →
/// API server, until SIGTERM or SIGINT, when it reverts everything it holds and exits.
public final class AgentDaemon: @unchecked Sendable {
    let configuration: AgentConfiguration
    let log: AgentLog

    /// `log`: by default stderr at the configuration's `log-level` in its `log-format`.
    public init(configuration: AgentConfiguration, log: AgentLog? = nil) {
        self.configuration = configuration
        var standard = AgentLog(level: configuration.logLevel, format: configuration.logFormat)
        // A JSON log is usually shipped off the host (Loki, Elasticsearch), where the line
        // must say which agent wrote it; journald already records the host for text lines.
        if configuration.logFormat == .json { standard.logger[metadataKey: "host"] = .string(configuration.hostName) }
        self.log = log ?? standard
    }

    /// How often the reaper looks for expired leases; a lapsed fault is reverted within
    /// this much of its expiry (the issue's bound is 1 s).
    static let reapInterval: TimeInterval = 0.1

    public func run(checkOnly: Bool) async throws {
        log.debug("configuration: listen \(configuration.listenHost):\(configuration.listenPort), host-name \(configuration.hostName), ledger \(configuration.ledger), controllers [\(configuration.controllers.joined(separator: ", "))], network-namespace \(configuration.networkNamespace ?? "(the agent's own)"), log-level \(configuration.logLevel.rawValue), log-format \(configuration.logFormat.rawValue)")
        let holds = Self.heldCapabilities()
        log.info("capabilities held: \(holds.isEmpty ? "none" : holds.joined(separator: " "))")
        if configuration.tls == nil {
            log.warning("insecure mode: the API is plaintext HTTP\(configuration.bearerToken == nil ? " with NO authentication" : " with a bearer token"); anyone who can reach \(configuration.listenHost):\(configuration.listenPort) can inject faults. Use only in throwaway labs.")
        }
        let injector = try ShimInjector(.init(
            networkNamespace: configuration.networkNamespace, controllers: configuration.controllers,
            agentPort: UInt16(configuration.listenPort), device: configuration.device,
            restart: configuration.restart, allowHostClock: configuration.policy.allowHostClock))
        // The kernel probes (a scratch network namespace per mechanism) can take seconds
        // when the machine is creating and deleting many namespaces, so they run beside
        // start-up: the agent serves (and recovers its ledger) at once, and the first
        // caller that needs the report waits for it.
        let policy = configuration.policy, log = self.log
        let report = CapabilityReportCache {
            let started = ContinuousClock.now
            let report = Self.capabilityReport(injector: injector, policy: policy, holds: holds)
            for entry in report.faults {
                log.info("fault \(entry.kind.rawValue): \(entry.available ? "available" : "unavailable: \(entry.reason ?? "")")")
            }
            log.debug("capability probes took \(ContinuousClock.now - started)")
            return report
        }
        if checkOnly { _ = report.value; return }

        let ledgerDirectory = (configuration.ledger as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: ledgerDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let service = try AgentService(injector: injector, policy: configuration.policy, ledgerPath: configuration.ledger,
                                       log: log)
        let reaper = LeaseReaper(service: service, interval: Self.reapInterval)
        reaper.start()

        // Before serving, so the first fault does not pay the runtime's first-use costs.
        let warmUpStarted = ContinuousClock.now
        FirstUseWarmUp.run(injector: injector)
        log.debug("first-use warm-up took \(ContinuousClock.now - warmUpStarted)")
        let router = AgentRouter(service: service, hostName: configuration.hostName, capabilities: { report.value })
        let denyList = try CertificateDenyListStore(path: configuration.tls == nil ? nil : configuration.denyList)
        if let path = denyList.path { log.info("certificate deny list \(path): \(denyList.current.serials.count) revoked serials (re-read on SIGHUP)") }
        let reloads = Self.reloadOnHangUp { log.notice(denyList.reload()) }
        defer { reloads.cancel() }
        let descriptors = ServerLimits.descriptorLimit()
        let limits = ServerLimits().fitting(descriptors: descriptors)
        log.info("limits: \(limits.connections) connections (\(limits.connectionsPerPeer) per peer, \(limits.controllerReserve) kept for controllers; open files \(descriptors)), requests within \(RequestDeadlineHandler.text(limits.requestDeadline)), \(limits.workThreads) workers + \(limits.controlThreads) for health, renewals and reverts")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await AgentServer.start(
            host: configuration.listenHost, port: configuration.listenPort, router: router,
            tls: try configuration.tls?.serverContext(), bearerToken: configuration.bearerToken,
            limits: limits, controllers: configuration.controllers, denyList: denyList,
            group: group, log: log)
        log.notice("listening on \(configuration.listenHost):\(server.port) as \(configuration.hostName) (\(configuration.tls == nil ? "insecure" : "mutual TLS")); ledger \(configuration.ledger)")

        let signal = await Self.waitForTermination()
        log.notice("received \(signal): reverting every fault and stopping")
        reaper.stop()
        service.revertAll(reason: .agentStopped)
        try? await server.close()
        try? await group.shutdownGracefully()
    }

    static func heldCapabilities() -> [String] {
        guard let report = try? FaultlineProcShims.CapabilityReport.current() else { return [] }
        return Capability.allCases.filter { report.holds($0) }.map(\.rawValue)
    }

    /// What `GET /v1/capabilities` answers: each kind, and for each the policy or the host
    /// says no to, why. Probed once at start (the probes are real kernel calls in a scratch namespace).
    static func capabilityReport(injector: FaultInjector, policy: AgentPolicy, holds: [String]) -> FaultlineAgentAPI.CapabilityReport {
        let entries = FaultKind.allCases.map { kind -> CapabilityEntry in
            if !policy.allowedKinds.contains(kind) {
                return CapabilityEntry(kind: kind, available: false, reason: "policy: \(kind.rawValue) is not among this agent's allowed kinds")
            }
            let missing = injector.unavailability(of: kind)
            return CapabilityEntry(kind: kind, available: missing == nil, reason: missing,
                                   mechanism: missing == nil ? injector.mechanism(of: kind) : nil)
        }
        return FaultlineAgentAPI.CapabilityReport(faults: entries, holds: holds)
    }

    /// Runs `reload` on every SIGHUP (instead of the default, which ends the process).
    static func reloadOnHangUp(_ reload: @escaping @Sendable () -> Void) -> DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "faultline-agent.reload"))
        source.setEventHandler(handler: reload)
        source.resume()
        return source
    }

    /// Suspends until SIGTERM or SIGINT; answers the signal's name.
    static func waitForTermination() async -> String {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "faultline-agent.signals")
            let once = NSLock()
            var resumed = false
            var sources: [DispatchSourceSignal] = []
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    once.withLock {
                        guard !resumed else { return }
                        resumed = true
                        sources.forEach { $0.cancel() }
                        continuation.resume(returning: name)
                    }
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}

/// Computes the capability report once, on its own thread, and hands it to every caller
/// (blocking the first ones until it is ready).
final class CapabilityReportCache: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var report: FaultlineAgentAPI.CapabilityReport?

    init(_ compute: @escaping @Sendable () -> FaultlineAgentAPI.CapabilityReport) {
        let thread = Thread { [self] in
            let computed = compute()
            lock.withLock { report = computed }
            ready.signal()
        }
        thread.name = "faultline-capability-probe"
        thread.start()
    }

    var value: FaultlineAgentAPI.CapabilityReport {
        if let done = lock.withLock({ report }) { return done }
        ready.wait()
        ready.signal()  // let the next waiter through too
        return lock.withLock { report! }
    }
}

/// Runs `reapExpiredLeases` on its own thread, so a slow API call never delays a revert.
final class LeaseReaper: @unchecked Sendable {
    let service: AgentService
    let interval: TimeInterval
    private let stopped = NSLock()
    private var stopping = false

    init(service: AgentService, interval: TimeInterval) { self.service = service; self.interval = interval }

    func start() {
        let thread = Thread { [self] in
            while !stopped.withLock({ stopping }) {
                service.reapExpiredLeases()
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.name = "faultline-lease-reaper"
        thread.start()
    }

    func stop() { stopped.withLock { stopping = true } }
}
