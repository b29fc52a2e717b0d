import FaultlineCore
/// How a fault names the processes it acts on. Resolved by `ProcessSelection.resolve`
/// into `ProcessIdentity` values (pid + start time).
public enum ProcessSelector: Hashable, Sendable, Codable, CustomStringConvertible {
    /// One pid.
    case pid(Int32)
    /// The pid written in a pidfile (first token of the file).
    case pidfile(path: String)
    /// Exact match on the kernel's process name (/proc/PID/comm). The kernel keeps only 15
    /// bytes, so a longer name is compared on its first 15 bytes.
    case name(String)
    /// Regular expression searched in the command line (argv joined by single spaces).
    case commandLine(regex: String)
    /// Every process in a cgroup (path as /proc/PID/cgroup prints it), and in its
    /// descendants when `recursive`.
    case cgroup(path: String, recursive: Bool)
    /// Every process of a systemd unit (`etcd` means `etcd.service`), found through the
    /// unit's cgroup: the v2 hierarchy first, then the v1 `name=systemd` hierarchy.
    case systemdUnit(String)
    /// Every process in a network namespace, given as an `ip netns` name (looked up in
    /// /run/netns) or a path to a namespace file (/proc/PID/ns/net, a bind mount).
    case networkNamespace(String)

    public var description: String {
        switch self {
        case .pid(let pid): return "pid \(pid)"
        case .pidfile(let path): return "pidfile \(path)"
        case .name(let name): return "name \(name)"
        case .commandLine(let regex): return "cmdline /\(regex)/"
        case .cgroup(let path, let recursive): return "cgroup \(path)\(recursive ? " (recursive)" : "")"
        case .systemdUnit(let unit): return "systemd unit \(unit)"
        case .networkNamespace(let ns): return "netns \(ns)"
        }
    }

    /// The kernel truncates comm to 15 bytes (TASK_COMM_LEN 16 with the NUL).
    public static func commName(_ name: String) -> String {
        var bytes = Array(name.utf8)
        if bytes.count > 15 { bytes = Array(bytes[0..<15]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `etcd` → `etcd.service`; names that already carry a unit suffix are kept.
    public static func systemdUnitName(_ unit: String) -> String {
        let suffixes = [".service", ".scope", ".slice", ".socket", ".mount", ".timer"]
        return suffixes.contains(where: { unit.hasSuffix($0) }) ? unit : unit + ".service"
    }

    /// `/run/netns/NAME` for a bare `ip netns` name; paths are kept.
    public static func networkNamespacePath(_ nameOrPath: String) -> String {
        nameOrPath.contains("/") ? nameOrPath : "/run/netns/" + nameOrPath
    }

    /// The pid in a pidfile's text (first whitespace-separated token).
    public static func parsePidfile(_ text: String) throws(ProcShimError) -> Int32 {
        guard let token = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first,
              let pid = Int32(token), pid > 0
        // The contents are never echoed: a pidfile path is the caller's, the file is read as root.
        else { throw .malformed(what: "pidfile", detail: "it does not start with a positive pid") }
        return pid
    }

    /// The command line as one string for regex matching.
    public static func joinedCommandLine(_ argv: [String]) -> String {
        argv.joined(separator: " ")
    }

    /// Checks the spec without I/O (regex compiles, paths well-formed).
    public func validate() throws(ProcShimError) {
        switch self {
        case .pid(let pid):
            if pid <= 0 { throw .invalidSpec("pid \(pid) must be positive") }
        case .pidfile(let path):
            if !path.hasPrefix("/") { throw .invalidSpec("pidfile \(path) must be an absolute path") }
        case .name(let name):
            if name.isEmpty || name.contains("/") { throw .invalidSpec("process name \(name.debugDescription) is empty or has /") }
        case .commandLine(let pattern):
            do { _ = try CommandLinePattern(pattern) } catch {
                throw .invalidSpec("cmdline regex /\(pattern)/: \(error)")
            }
        case .cgroup(let path, _):
            _ = try CgroupPath.validate(path)
        case .systemdUnit(let unit):
            if unit.isEmpty || unit.contains("/") { throw .invalidSpec("systemd unit \(unit.debugDescription) is empty or has /") }
        case .networkNamespace(let ns):
            if ns.isEmpty { throw .invalidSpec("network namespace name is empty") }
        }
    }
}

/// What is known about one candidate process, for pure matching.
public struct ProcessFacts: Sendable, Equatable {
    public var stat: ProcStat
    public var comm: String?
    public var commandLine: [String]?
    public var networkNamespace: FileIdentity?

    public init(stat: ProcStat, comm: String? = nil, commandLine: [String]? = nil,
                networkNamespace: FileIdentity? = nil) {
        self.stat = stat
        self.comm = comm
        self.commandLine = commandLine
        self.networkNamespace = networkNamespace
    }
}

/// Pure parts of selection: which candidates pass, and which are never selected.
public enum ProcessMatching {
    /// Never selected, whatever the selector says: the agent itself, init (pid 1) and
    /// kernel threads (they cannot be signalled, frozen or traced meaningfully).
    public static func isProtected(_ stat: ProcStat, selfPid: Int32) -> Bool {
        stat.pid == selfPid || stat.pid <= 1 || stat.isKernelThread
    }

    public static func matchesName(_ facts: ProcessFacts, _ name: String) -> Bool {
        (facts.comm ?? facts.stat.comm) == ProcessSelector.commName(name)
    }

    public static func matchesCommandLine(_ facts: ProcessFacts, _ pattern: CommandLinePattern) -> Bool {
        guard let argv = facts.commandLine, !argv.isEmpty else { return false }
        return pattern.matches(ProcessSelector.joinedCommandLine(argv))
    }

    public static func matchesNamespace(_ facts: ProcessFacts, _ namespace: FileIdentity) -> Bool {
        facts.networkNamespace == namespace
    }
}
