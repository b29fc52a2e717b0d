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

extension ProcessSelector {
    // Wire form: one key naming the way of selecting, as a person would write it in curl:
    // {"pid": 4242}, {"name": "etcd"}, {"command-line": "etcd .*--name n1"},
    // {"pidfile": "/run/etcd.pid"}, {"cgroup": "/system.slice/etcd.service"},
    // {"systemd-unit": "etcd.service"}, {"namespace": true}.
    private enum WireKey: String, CodingKey, CaseIterable {
        case pid, pidfile, name, commandLine = "command-line", cgroup, systemdUnit = "systemd-unit", namespace
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: WireKey.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "expected exactly one of \(WireKey.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        switch key {
        case .pid: self = .pid(try c.decode(Int32.self, forKey: key))
        case .pidfile: self = .pidfile(try c.decode(String.self, forKey: key))
        case .name: self = .name(try c.decode(String.self, forKey: key))
        case .commandLine: self = .commandLine(try c.decode(String.self, forKey: key))
        case .cgroup: self = .cgroup(try c.decode(String.self, forKey: key))
        case .systemdUnit: self = .systemdUnit(try c.decode(String.self, forKey: key))
        case .namespace:
            guard try c.decode(Bool.self, forKey: key) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "namespace selects with true; omit it otherwise")
            }
            self = .namespace
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: WireKey.self)
        switch self {
        case .pid(let pid): try c.encode(pid, forKey: .pid)
        case .pidfile(let path): try c.encode(path, forKey: .pidfile)
        case .name(let name): try c.encode(name, forKey: .name)
        case .commandLine(let regex): try c.encode(regex, forKey: .commandLine)
        case .cgroup(let path): try c.encode(path, forKey: .cgroup)
        case .systemdUnit(let unit): try c.encode(unit, forKey: .systemdUnit)
        case .namespace: try c.encode(true, forKey: .namespace)
        }
    }
}
