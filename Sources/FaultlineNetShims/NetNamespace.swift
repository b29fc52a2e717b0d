#if canImport(Glibc)
import Glibc
#endif

/// Which network namespace a fault is applied in.
///
/// A spec holds `NetNamespace?`: nil is the namespace of the process that applies the fault
/// (the host's namespace for an agent); otherwise a name under `/run/netns` (as `ip netns`
/// makes them) or an absolute path to any namespace file (`/proc/PID/ns/net`).
public enum NetNamespace: Hashable, Sendable, Codable, CustomStringConvertible {
    case named(String)
    case path(String)

    /// The file that `setns(2)` opens.
    public var filePath: String {
        switch self {
        case let .named(name): return "/run/netns/\(name)"
        case let .path(path): return path
        }
    }

    public var description: String {
        switch self {
        case let .named(name): return "netns \(name)"
        case let .path(path): return "netns at \(path)"
        }
    }

    func validate() throws {
        switch self {
        case let .named(name):
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw NetShimError.invalidSpec("namespace name '\(name)' must be a plain name")
            }
        case let .path(path):
            guard path.hasPrefix("/") else {
                throw NetShimError.invalidSpec("namespace path '\(path)' must be absolute")
            }
        }
    }
}

extension NetNamespace {
    /// Runs `body` on a dedicated thread that has entered `namespace` (nil: inline, in the
    /// caller's namespace), and returns its result. Sockets created inside stay in that
    /// namespace for life and may be used from any thread afterwards. See `NamespaceThread`.
    public static func run<T>(in namespace: NetNamespace?, _ body: () throws -> T) throws -> T {
        try NamespaceThread.run(in: .init(namespace), body)
    }
}
