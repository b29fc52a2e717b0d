/// Which processes on a host a process or clock fault acts on.
///
/// Exactly one way of selecting. The agent resolves it on its host into pids with their
/// start times (so a recycled pid is never hit).
public enum ProcessSelector: Hashable, Sendable, Codable, CustomStringConvertible {
    case pid(Int32)
    /// A file holding a pid, such as `/run/etcd.pid`.
    case pidfile(String)
    /// The exact process name (`comm`, at most 15 characters), such as `etcd`.
    case name(String)
    /// A regular expression matched against the whole command line (arguments joined by spaces).
    case commandLine(String)
    /// Every process in a cgroup (path below the cgroup root, e.g. `/system.slice/etcd.service`).
    case cgroup(String)
    /// Every process of a systemd unit (through its cgroup), e.g. `etcd.service`.
    case systemdUnit(String)
    /// Every process in the host's network namespace (lab hosts that are namespaces).
    case namespace

    public var description: String {
        switch self {
        case .pid(let p): "pid \(p)"
        case .pidfile(let p): "pidfile \(p)"
        case .name(let n): "name \(n)"
        case .commandLine(let r): "command line ~ /\(r)/"
        case .cgroup(let c): "cgroup \(c)"
        case .systemdUnit(let u): "unit \(u)"
        case .namespace: "every process of the host"
        }
    }

    public func problems(field: String = "process") -> [FieldProblem] {
        switch self {
        case .pid(let p) where p <= 1:
            [FieldProblem(field, "expected a pid above 1 (pid 1 is the host's init), found \(p)")]
        case .name(let n) where n.isEmpty || n.utf8.count > 15:
            [FieldProblem(field, "expected a process name of 1 to 15 characters (the kernel's comm), found '\(n)'; use 'command' to match longer command lines")]
        case .pidfile(let p) where !p.hasPrefix("/"), .cgroup(let p) where !p.hasPrefix("/"):
            [FieldProblem(field, "expected an absolute path, found '\(p)'")]
        case .commandLine(let r) where r.isEmpty:
            [FieldProblem(field, "expected a non-empty regular expression")]
        case .systemdUnit(let u) where !u.contains("."):
            [FieldProblem(field, "expected a unit name with its type, such as etcd.service, found '\(u)'")]
        default: []
        }
    }
}
