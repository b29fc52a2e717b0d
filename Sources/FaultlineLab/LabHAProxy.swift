import FaultlinePlan
import Foundation

/// HAProxy (Debian `haproxy`) on n1 in front of HTTP backends on n2…nN.
///
/// Each backend is Python's `http.server` (Debian's /usr/bin/python3) bound to its host's
/// address, serving one page that names the backend ("backend n2"), so a probe through
/// the proxy can tell where it was routed. It runs through a symlink `http-backend` in
/// the lab's folder, which makes its process name (`comm`) `http-backend`: the name plans
/// kill and the agents' policy allows, instead of every `python3`.
///
/// HAProxy health-checks every backend (`inter 500ms fall 2 rise 2`, `timeout check
/// 300ms`), so a dead or slow backend leaves the rotation within about a second. It logs
/// to stdout (the lab's log file) and serves its statistics as CSV on :8404/stats;csv.
public enum LabHAProxy {
    public static let binary = "/usr/sbin/haproxy"
    public static let python = "/usr/bin/python3"
    /// The backends' process name (the symlink's name; at most 15 bytes, the kernel's `comm`).
    public static let backendProcessName = "http-backend"
    public static let frontendPort = 8080
    public static let statsPort = 8404
    public static let backendPort = 8000
    /// The proxy's host; every other host is a backend.
    public static let proxyHost = LabAddressing.haproxyHost

    static func folder(_ labDirectory: String) -> String { labDirectory + "/haproxy" }
    static func configPath(_ labDirectory: String) -> String { folder(labDirectory) + "/haproxy.cfg" }
    static func backendLauncher(_ labDirectory: String) -> String { folder(labDirectory) + "/" + backendProcessName }
    static func pagesFolder(_ labDirectory: String, host: String) -> String { folder(labDirectory) + "/www/\(host)" }
    static func proxyLogPath(_ labDirectory: String) -> String { labDirectory + "/logs/haproxy-n\(proxyHost).log" }
    static func backendLogPath(_ labDirectory: String, host: String) -> String { labDirectory + "/logs/backend-\(host).log" }

    /// The page a backend serves: its name, so whoever reads the answer knows who sent it.
    static func page(host: String) -> String { "backend \(host)\n" }


    /// HAProxy's configuration (pure). No retries and no `option redispatch`: a request
    /// routed to a dead backend fails at once with 503, so a probe sees exactly the window
    /// until the health check takes the backend out. Production configurations add
    /// `retries 3` and `option redispatch` and trade those errors for latency.
    static func config(hosts: Int, addressing a: LabAddressing, labDirectory: String) -> String {
        let proxy = a.address(ofHost: proxyHost)
        let servers = (1...hosts).filter { $0 != proxyHost }
            .map { "  server \(a.hostName($0)) \(a.address(ofHost: $0)):\(backendPort)" }
            .joined(separator: "\n")
        return """
        # Written by `faultline lab up --service haproxy` (lab '\(a.name)'); removed by `faultline lab down`.
        global
          log stdout format raw local0

        defaults
          mode http
          log global
          option httplog
          option dontlognull
          retries 0
          timeout connect 1s
          timeout client 10s
          # A backend that takes longer than this to answer gets the client a 504.
          timeout server 2s
          # A health check answered later than this fails (the connect itself may take
          # min(timeout connect, inter)); two failures in a row take the backend out.
          timeout check 300ms

        frontend web
          bind \(proxy):\(frontendPort)
          default_backend backends

        backend backends
          balance roundrobin
          option httpchk GET /
          http-check expect status 200
          default-server check inter 500ms fall 2 rise 2
        \(servers)

        listen stats
          bind \(proxy):\(statsPort)
          stats enable
          stats uri /stats

        """
    }

    /// The backend's argv (run inside its host's namespace by the caller).
    static func backendArgv(host index: Int, addressing a: LabAddressing, labDirectory: String) -> [String] {
        [backendLauncher(labDirectory), "-m", "http.server", String(backendPort),
         "--bind", a.address(ofHost: index), "--directory", pagesFolder(labDirectory, host: a.hostName(index))]
    }

    static func proxyArgv(labDirectory: String) -> [String] {
        // -db: stay in the foreground, one process (no master-worker), so the pid is HAProxy's.
        [binary, "-db", "-f", configPath(labDirectory)]
    }

    /// Writes the configuration, the pages and the launcher; starts the backends, waits
    /// until each answers; starts HAProxy and waits until its checks see every backend UP.
    static func start(options: LabOptions, state: inout LabState) async throws {
        let a = options.addressing, dir = options.directory
        try LabFiles.makeDirectory(folder(dir))
        try LabFiles.write(config(hosts: options.hosts, addressing: a, labDirectory: dir), to: configPath(dir))
        try makeLauncher(dir)
        for i in backendHosts(options.hosts) {
            try LabFiles.makeDirectory(pagesFolder(dir, host: a.hostName(i)))
            try LabFiles.write(page(host: a.hostName(i)), to: pagesFolder(dir, host: a.hostName(i)) + "/index.html")
            try startBackend(host: i, addressing: a, directory: dir, state: &state)
        }
        for i in backendHosts(options.hosts) { try await waitForBackend(host: i, addressing: a, directory: dir, timeout: options.readyTimeout) }
        try startProxy(addressing: a, directory: dir, state: &state)
        try await waitForProxy(hosts: options.hosts, addressing: a, directory: dir, timeout: options.readyTimeout)
    }

    static func backendHosts(_ hosts: Int) -> [Int] { (1...hosts).filter { $0 != proxyHost } }

    /// The symlink whose name becomes the backends' process name.
    static func makeLauncher(_ dir: String) throws {
        let path = backendLauncher(dir)
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == python { return }
        do { try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: python) } catch {
            throw LabError.invalid("cannot create \(path): \(error.localizedDescription)")
        }
    }

    static func startBackend(host i: Int, addressing a: LabAddressing, directory: String, state: inout LabState) throws {
        let argv = LabNetwork.inNamespace(a.namespace(ofHost: i), backendArgv(host: i, addressing: a, labDirectory: directory))
        try Lab.start(role: "backend", host: a.hostName(i), argv: argv, log: backendLogPath(directory, host: a.hostName(i)), state: &state)
    }

    static func startProxy(addressing a: LabAddressing, directory: String, state: inout LabState) throws {
        let argv = LabNetwork.inNamespace(a.namespace(ofHost: proxyHost), proxyArgv(labDirectory: directory))
        try Lab.start(role: "haproxy", host: a.hostName(proxyHost), argv: argv, log: proxyLogPath(directory), state: &state)
    }

    /// True when the backend on host `i` answers its page.
    public static func backendAnswers(host i: Int, addressing a: LabAddressing, timeout: TimeInterval = 1) -> Bool {
        guard let r = try? LabHTTP.request("GET", address: a.address(ofHost: i), port: backendPort, path: "/", timeout: timeout) else { return false }
        return r.status == 200 && r.body == page(host: a.hostName(i))
    }

    /// Each server's status as HAProxy's statistics say ("UP", "DOWN", "UP 1/2" …), by host name.
    public static func serverStatus(addressing a: LabAddressing, timeout: TimeInterval = 1) throws -> [String: String] {
        let r = try LabHTTP.request("GET", address: a.address(ofHost: proxyHost), port: statsPort, path: "/stats;csv", timeout: timeout)
        guard r.status == 200 else { throw LabError.invalid("HAProxy's statistics answered \(r.status)") }
        return parseServerStatus(csv: r.body)
    }

    /// Pure: the `backends` proxy's server rows of HAProxy's CSV (`# pxname,svname,…,status,…`).
    static func parseServerStatus(csv: String) -> [String: String] {
        let lines = csv.split(separator: "\n")
        guard let header = lines.first?.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false),
              let statusColumn = header.firstIndex(of: "status") else { return [:] }
        var out: [String: String] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count > statusColumn, fields[0] == "backends", fields[1] != "BACKEND" else { continue }
            out[String(fields[1])] = String(fields[statusColumn])
        }
        return out
    }

    static func waitForBackend(host i: Int, addressing a: LabAddressing, directory: String, timeout: TimeInterval) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if backendAnswers(host: i, addressing: a) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw LabError.notReady(what: "the HTTP backend on \(a.hostName(i)) did not answer within \(Int(timeout)) s",
                                log: LabFiles.tail(backendLogPath(directory, host: a.hostName(i))))
    }

    /// Waits until HAProxy's own checks see every backend UP (rise 2: about a second).
    static func waitForProxy(hosts: Int, addressing a: LabAddressing, directory: String, timeout: TimeInterval) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        let names = Set(backendHosts(hosts).map(a.hostName))
        var last: [String: String] = [:]
        while Date() < deadline {
            if let status = try? serverStatus(addressing: a) {
                last = status
                if names.allSatisfy({ status[$0] == "UP" }) { return }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LabError.notReady(what: "HAProxy on \(a.hostName(proxyHost)) did not see every backend UP within \(Int(timeout)) s (\(last))",
                                log: LabFiles.tail(proxyLogPath(directory)))
    }

    /// `lab restart --service haproxy [--host nK]`: starts HAProxy (n1) or a backend again
    /// where it is not running, and waits until it serves (HAProxy: its checks see every
    /// backend UP). Answers one line per host.
    static func restart(indices: [Int], state: inout LabState, directory: String, readyTimeout: TimeInterval) async throws -> [String] {
        let a = try state.addressing()
        var lines: [String] = []
        var restarted: [Int] = []
        // Backends first: HAProxy restarted alongside waits for them to be UP.
        for i in indices.sorted(by: { ($0 == proxyHost ? 1 : 0, $0) < ($1 == proxyHost ? 1 : 0, $1) }) {
            let name = a.hostName(i), role = i == proxyHost ? "haproxy" : "backend"
            if let p = state.processes.first(where: { $0.role == role && $0.host == name }), LabProcesses.isRunning(p) {
                lines.append("\(name): \(role) running (pid \(p.pid))")
                continue
            }
            if i == proxyHost { try startProxy(addressing: a, directory: directory, state: &state) } else { try startBackend(host: i, addressing: a, directory: directory, state: &state) }
            restarted.append(i)
        }
        for i in restarted where i != proxyHost {
            try await waitForBackend(host: i, addressing: a, directory: directory, timeout: readyTimeout)
        }
        // A restarted backend is back in rotation only once HAProxy's checks say UP (rise 2).
        if !restarted.isEmpty {
            try await waitForProxy(hosts: state.hosts, addressing: a, directory: directory, timeout: readyTimeout)
        }
        for i in restarted {
            let role = i == proxyHost ? "haproxy" : "backend"
            let pid = state.processes.first { $0.host == a.hostName(i) && $0.role == role }?.pid ?? 0
            lines.append("\(a.hostName(i)): \(role) restarted (pid \(pid))")
        }
        return lines.sorted()
    }

    /// `lab status`: n1 shows HAProxy and what its checks say of each backend; others their backend.
    static func describe(host i: Int, addressing a: LabAddressing, state: LabState) -> (String, Bool) {
        let name = a.hostName(i)
        let role = i == proxyHost ? "haproxy" : "backend"
        // Status prints "haproxy " (the lab's service) before this text.
        guard let p = state.processes.first(where: { $0.role == role && $0.host == name }), LabProcesses.isRunning(p) else {
            return (i == proxyHost ? "NOT RUNNING" : "backend NOT RUNNING", false)
        }
        if i == proxyHost {
            guard let status = try? serverStatus(addressing: a) else { return ("UNREACHABLE (statistics on :\(statsPort))", false) }
            let text = status.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return ("running, checks: \(text)", status.values.allSatisfy { $0 == "UP" })
        }
        return backendAnswers(host: i, addressing: a) ? ("backend answers", true) : ("backend NOT ANSWERING", false)
    }
}
