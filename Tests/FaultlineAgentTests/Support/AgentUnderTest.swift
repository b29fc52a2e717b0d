import FaultlineAgentAPI
import FaultlineTestSupport
import Foundation
import NIOSSL

/// A real `faultline-agent` process serving a network namespace made for one test, with
/// certificates from a CA made for that test. The test process is the controller: it sits
/// in the root namespace at `host.controllerAddress` and calls the agent through a veth.
///
/// `destroy()` (in `defer`) kills the agent by pid and deletes the namespace, its links and
/// the temporary directory, whatever state the test left them in.
final class AgentUnderTest: @unchecked Sendable {
    let host: TestHostNamespace
    let directory: TemporaryDirectory
    let configPath: String
    let ledgerPath: String
    let pki: TestPKI
    private(set) var process: SpawnedProcess
    /// Enter only the network namespace (`nsenter --net`), keeping the machine's mounts, as
    /// a systemd-started agent sees them: `ip netns exec` remounts /sys, hiding the cgroups.
    let keepMounts: Bool
    /// `prlimit --nofile` for the agent: its open-file limit, soft and hard.
    let descriptorLimit: Int?
    /// Set when `tls` chose the insecure mode: the bearer token callers send, if any.
    let insecureToken: String??
    let port = 7433
    /// Extra command-line arguments after `--config PATH` (`--log-format json`, …).
    let arguments: [String]
    /// Where the agent's stdout and stderr go: `agent.log` in the directory, or a FIFO the
    /// test holds open for reading and never reads (`stderrUnread`): a stalled journald.
    let logPath: String
    /// The FIFO's read end while `stderrUnread`.
    private(set) var unreadStderr: Int32?

    var endpoint: AgentEndpoint { AgentEndpoint(name: host.name, address: host.hostAddress, port: port) }

    /// Where `swift build` put the agent: this file is Tests/FaultlineAgentTests/Support/….
    static let agentBinary: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/faultline-agent").path
    }()

    /// `controllers`: the addresses the agent exempts as its controllers; nil: the test's own.
    /// `ledger`: contents the ledger file holds before the agent first starts (a crafted or
    /// damaged one); `tls`: the config's `tls` value instead of mutual TLS with the test CA.
    init(tag: String, policy: String = "", controllers: String? = nil, extraConfig: String = "",
         ledger: Data? = nil, tls: String? = nil, keepMounts: Bool = false, descriptorLimit: Int? = nil,
         arguments: [String] = [], stderrUnread: Bool = false) throws {
        self.keepMounts = keepMounts
        self.arguments = arguments
        self.descriptorLimit = descriptorLimit
        if let tls, tls.contains("insecure: true") {
            let token = tls.firstMatch(of: /bearer-token: *([^ ,}]+)/).map { String($0.1) }
            insecureToken = .some(token)
        } else {
            insecureToken = nil
        }
        host = try TestHostNamespace.make(tag: tag)
        var readEnd: Int32?
        do {
            directory = try TemporaryDirectory(tag)
            pki = try TestPKI(directory: directory.path, agentAddress: host.hostAddress)
            ledgerPath = directory.path + "/ledger.jsonl"
            logPath = directory.path + (stderrUnread ? "/agent.fifo" : "/agent.log")
            if stderrUnread {
                guard mkfifo(logPath, 0o600) == 0 else { throw TestFailure("mkfifo \(logPath): \(String(cString: strerror(errno)))") }
                // Opened for reading first, so the agent's open for writing does not wait.
                readEnd = open(logPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
                unreadStderr = readEnd
            }
            configPath = directory.path + "/agent.yaml"
            if let ledger { try ledger.write(to: URL(fileURLWithPath: ledgerPath)) }
            let config = """
            listen: \(host.hostAddress):\(port)
            host-name: \(host.name)
            tls: \(tls ?? "{ ca: \(pki.caPath), certificate: \(pki.agentCertificatePath), key: \(pki.agentKeyPath) }")
            ledger: \(ledgerPath)
            controllers: [\(controllers ?? host.controllerAddress + "/32")]
            network-namespace: \(host.name)
            \(policy.isEmpty ? "" : "policy:\n" + policy)
            \(extraConfig)
            """
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
            process = try Self.launch(host: host, configPath: configPath, log: logPath, keepMounts: keepMounts,
                                      descriptorLimit: descriptorLimit, arguments: arguments)
        } catch {
            if let fd = readEnd { close(fd) }
            host.destroy()
            throw error
        }
    }

    private static func launch(host: TestHostNamespace, configPath: String, log: String, keepMounts: Bool,
                               descriptorLimit: Int?, arguments: [String]) throws -> SpawnedProcess {
        // `prlimit`, `ip netns exec` and `nsenter` each set up and exec the next in the same
        // process, so the pid we hold is the agent's.
        let limit = descriptorLimit.map { ["/usr/bin/prlimit", "--nofile=\($0):\($0)", "--"] } ?? []
        let enter = keepMounts ? ["/usr/bin/nsenter", "--net=/run/netns/\(host.name)"] : ["/usr/sbin/ip", "netns", "exec", host.name]
        return try SpawnedProcess(limit + enter + [agentBinary, "--config", configPath] + arguments, logPath: log)
    }

    /// A client with `credentials`, or in the insecure mode the plaintext one (with the token).
    func client(_ credentials: TestPKI.Credentials = .controller, timeout: Double = 3) throws -> HTTPAgentClient {
        let security: HTTPAgentClient.Security
        if let token = insecureToken { security = .insecure(bearerToken: token) } else { security = .mutualTLS(try pki.clientContext(credentials)) }
        return HTTPAgentClient(endpoint: endpoint, security: security, timeout: .milliseconds(Int64(timeout * 1000)))
    }

    /// Sends `signal` to the agent (by its pid).
    func signal(_ number: Int32) { process.signal(number) }

    /// Waits until the agent answers its health endpoint (it probes the kernel at start).
    func waitUntilServing(timeout: Double = 15) async throws {
        let client = try self.client()
        defer { client.close() }
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: Error?
        while Date() < deadline {
            if process.hasExited { throw TestFailure("agent exited: \(log)") }
            do { _ = try await client.health(); return } catch { lastError = error }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("agent did not serve within \(timeout)s: \(String(describing: lastError)); log: \(log)")
    }

    /// kill -9: the agent gets no chance to revert anything.
    func crash() { process.kill() }

    func restart() async throws {
        process.kill()
        process = try Self.launch(host: host, configPath: configPath, log: logPath, keepMounts: keepMounts,
                                  descriptorLimit: descriptorLimit, arguments: arguments)
        try await waitUntilServing()
    }

    /// The end of its log (nothing while its stderr is the unread FIFO: reading it is the
    /// test's business, and opening it here could wait).
    var log: String { unreadStderr == nil ? process.logTail(4000) : "(stderr is an unread FIFO)" }

    /// Reads what the FIFO holds now (without waiting), so the agent's writes can go on.
    func drainUnreadStderr() -> String {
        guard let fd = unreadStderr else { return "" }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` appears in the agent's log within `timeout` seconds. The kernel
    /// object goes before the audit line is written, so a test that saw the one waits
    /// briefly for the other.
    func logEventually(contains text: String, timeout: Double = 2) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if log.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        } while Date() < deadline
        return log.contains(text)
    }

    func destroy() {
        process.kill()
        if let fd = unreadStderr { close(fd); unreadStderr = nil }
        host.destroy()
        directory.remove()
    }
}
