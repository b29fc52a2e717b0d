import FaultlineCore
import FaultlineProcShims
import Foundation

/// Turns a plan's process selector into the processes it means on this host.
///
/// When the host is a network namespace on a shared machine (the lab), every process of
/// the machine is visible, so selection is narrowed to processes in that namespace: a
/// kill of `etcd` on lab host n2 must not reach n1's etcd. The scope is applied before
/// any matching (a command-line pattern never sees a process outside it), to cgroup
/// selectors too, and a freezer pause is refused when its cgroup reaches beyond it.
///
/// Every resolution ends within `resolutionLimit`: selectors come from callers and the
/// agent must answer (or refuse) in bounded time.
public struct ProcessScope: Sendable {
    /// `/run/netns/NAME` or another namespace file; nil: every process of the machine.
    public var networkNamespacePath: String?
    public static let resolutionLimit: Duration = .seconds(1)

    public init(networkNamespace: String?) {
        networkNamespacePath = networkNamespace.map { FaultlineProcShims.ProcessSelector.networkNamespacePath($0) }
    }

    public func resolve(_ selector: FaultlineCore.ProcessSelector) throws -> [ProcessIdentity] {
        let shim = try shimSelector(selector)
        let scope = try scope()
        do {
            return try ProcessSelection.resolve(shim, scope: scope, deadline: .after(Self.resolutionLimit))
        } catch {
            throw Self.explained(error, "selector \(selector)")
        }
    }

    /// A timeout in words a caller can act on; other errors as they are.
    static func explained(_ error: ProcShimError, _ what: String) -> Error {
        guard case .timedOut(let step, let after) = error else { return error }
        return MappingError.refused("\(what) did not resolve within \(after) (\(step)); narrow it")
    }

    /// The namespace identity processes must share to be selected; nil without a scope.
    func scope() throws -> FileIdentity? {
        guard let path = networkNamespacePath else { return nil }
        return try SystemFiles.deviceAndInode(path)
    }

    /// Refuses a cgroup that holds processes outside the scope (the freezer would stop them).
    func checkCgroupInScope(_ cgroup: String) throws {
        guard let scope = try scope() else { return }
        let outside: [Int32]
        do { outside = try ProcessSelection.members(ofCgroup: cgroup, outside: scope, deadline: .after(Self.resolutionLimit)) } catch {
            throw Self.explained(error, "cgroup \(cgroup)")
        }
        guard outside.isEmpty else {
            let shown = outside.prefix(5).map(String.init).joined(separator: ", ")
            throw MappingError.refused("cgroup \(cgroup) holds \(outside.count) process(es) outside this agent's network namespace (pid \(shown)\(outside.count > 5 ? ", …" : "")); the freezer would stop them too, so nothing was paused")
        }
    }

    func shimSelector(_ selector: FaultlineCore.ProcessSelector) throws -> FaultlineProcShims.ProcessSelector {
        switch selector {
        case .pid(let pid): return .pid(pid)
        case .pidfile(let path): return .pidfile(path: path)
        case .name(let name): return .name(name)
        case .commandLine(let regex): return .commandLine(regex: regex)
        case .cgroup(let path): return .cgroup(path: path, recursive: true)
        case .systemdUnit(let unit): return .systemdUnit(unit)
        case .namespace:
            guard let path = networkNamespacePath else {
                throw MappingError.refused("'every process of the host' is only meaningful on a namespace host; this agent serves the whole machine")
            }
            return .networkNamespace(path)
        }
    }

    /// The cgroup a freezer pause acts on, for selectors that name one.
    static func cgroup(of selector: FaultlineCore.ProcessSelector) throws -> String? {
        switch selector {
        case .cgroup(let path): return path
        case .systemdUnit(let unit): return try ProcessSelection.cgroupPath(ofSystemdUnit: unit)
        default: return nil
        }
    }
}
