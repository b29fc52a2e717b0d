#if canImport(Glibc)
import Glibc
#endif
import FaultlineAgentAPI
import Foundation

/// N real `faultline-agent` processes on loopback, each in insecure mode with a bearer
/// token on its own port and with its own ledger, and one sleeping process per agent for
/// it to pause. Everything is started by this benchmark and stopped by pid in `stop()`.
final class AgentFleet: @unchecked Sendable {
    struct Member {
        var index: Int
        var agentPID: pid_t
        var sleeperPID: pid_t
        var port: Int
        var directory: String
    }

    static let token = "controller-bench-token-0123456789"
    let root: String
    private(set) var members: [Member] = []

    init(agentBinary: String, count: Int) throws {
        var template = Array("/tmp/fl-bench-controller-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError("mkdtemp: \(String(cString: strerror(errno)))")
        }
        root = String(cString: made)
        do {
            var ports = FreePorts()
            for i in 0..<count {
                let directory = root + "/agent-\(i)"
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
                let sleeper = try spawn(["/bin/sleep", "3600"], log: "/dev/null")
                let port = try ports.next()
                let config = """
                listen: 127.0.0.1:\(port)
                host-name: bench-\(i)
                tls: { insecure: true, bearer-token: "\(Self.token)" }
                ledger: \(directory)/ledger.jsonl
                controllers: [127.0.0.1/32]
                policy: { process-names: [], max-concurrent-faults: 4 }
                """
                try config.write(toFile: directory + "/agent.yaml", atomically: true, encoding: .utf8)
                members.append(Member(index: i, agentPID: 0, sleeperPID: sleeper, port: port, directory: directory))
                members[i].agentPID = try spawn([agentBinary, "--config", directory + "/agent.yaml"], log: directory + "/agent.log")
            }
        } catch {
            stop()
            throw error
        }
    }

    func endpoint(_ m: Member) -> AgentEndpoint { AgentEndpoint(name: "bench-\(m.index)", address: "127.0.0.1", port: m.port) }

    func client(_ m: Member) -> HTTPAgentClient {
        HTTPAgentClient(endpoint: endpoint(m), security: .insecure(bearerToken: Self.token))
    }

    /// Waits until every agent answers its health check (they start in parallel).
    func waitHealthy(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            for m in members {
                group.addTask {
                    let client = self.client(m)
                    defer { client.close() }
                    while true {
                        if (try? await client.health()) != nil { return }
                        // A zombie: the agent exited (left for stop() to reap, so its pid is not reused).
                        if ContinuousClock.now > deadline || AgentFleet.state(m.agentPID) == "Z" {
                            let log = (try? String(contentsOfFile: m.directory + "/agent.log", encoding: .utf8)) ?? ""
                            throw BenchError("agent \(m.index) on port \(m.port) exited or is not healthy in time; log:\n\(log.suffix(1500))")
                        }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The scheduler state of a sleeper: "T" when stopped, "S" when sleeping.
    static func state(_ pid: pid_t) -> String {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return "?" }
        return String(text[text.index(close, offsetBy: 2)])
    }

    /// SIGTERM to every agent we started (each reverts what it holds and exits), then
    /// SIGKILL for any still running after 10 s; sleepers are continued and killed.
    func stop() {
        for m in members where m.agentPID > 0 { kill(m.agentPID, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(10)
        for m in members where m.agentPID > 0 {
            var status: Int32 = 0
            while waitpid(m.agentPID, &status, WNOHANG) == 0 {
                if ContinuousClock.now > deadline { kill(m.agentPID, SIGKILL); waitpid(m.agentPID, &status, 0); break }
                usleep(10_000)
            }
        }
        for m in members where m.sleeperPID > 0 {
            kill(m.sleeperPID, SIGCONT); kill(m.sleeperPID, SIGKILL)
            var status: Int32 = 0
            waitpid(m.sleeperPID, &status, 0)
        }
        members = []
        try? FileManager.default.removeItem(atPath: root)
    }

    /// posix_spawn with stdin from /dev/null, output to `log`, and no descriptor of ours
    /// beyond 0–2 (closefrom 3: the build lock's descriptor must not outlive `make bench`).
    private func spawn(_ argv: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        guard let closeFrom = Self.addCloseFrom, closeFrom(&actions, 3) == 0 else {
            throw BenchError("posix_spawn_file_actions_addclosefrom_np is not available (glibc ≥ 2.34 needed)")
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard result == 0 else { throw BenchError("posix_spawn \(argv[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()
}

/// Loopback ports nobody listens on, found by binding: a random start, then upwards.
/// Below Linux's ephemeral range (32768–60999): a port picked there can be taken by an
/// outgoing connection (ours, to the agents already up) before its agent binds it.
struct FreePorts {
    private var next_ = Int.random(in: 20000...30000)
    mutating func next() throws -> Int {
        for _ in 0..<12000 {
            let port = next_
            next_ = next_ >= 32000 ? 20000 : next_ + 1
            if Self.isFree(port) { return port }
        }
        throw BenchError("no free loopback port")
    }

    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
