import FaultlineCore
import FaultlineProcShims
import Foundation

/// Turns a plan's process selector into the processes it means on this host.
///
/// When the host is a network namespace on a shared machine (the lab), every process of
/// the machine is visible, so selection is narrowed to processes in that namespace: a
/// kill of `etcd` on lab host n2 must not reach n1's etcd.
public struct ProcessScope: Sendable {
    /// `/run/netns/NAME` or another namespace file; nil: every process of the machine.
    public var networkNamespacePath: String?

    public init(networkNamespace: String?) {
        networkNamespacePath = networkNamespace.map { FaultlineProcShims.ProcessSelector.networkNamespacePath($0) }
    }

    public func resolve(_ selector: FaultlineCore.ProcessSelector) throws -> [ProcessIdentity] {
        let found = try ProcessSelection.resolve(try shimSelector(selector))
        guard let path = networkNamespacePath else { return found }
        let namespace = try SystemFiles.deviceAndInode(path)
        return found.filter { (try? ProcFS.networkNamespace(of: $0.pid)) == namespace }
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
