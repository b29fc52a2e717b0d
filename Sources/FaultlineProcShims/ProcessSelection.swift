#if canImport(Glibc)
import Glibc
#endif

/// Resolves a `ProcessSelector` against /proc and the cgroup filesystem.
///
/// Returns identities (pid + start time) sorted by pid. Processes that exit while being
/// read are skipped. The agent itself, pid 1 and kernel threads are never returned.
public enum ProcessSelection {
    public static func resolve(_ selector: ProcessSelector) throws(ProcShimError) -> [ProcessIdentity] {
        try selector.validate()
        let me = getpid()
        switch selector {
        case .pid(let pid):
            return try identities([pid], selfPid: me)
        case .pidfile(let path):
            return try identities([ProcessSelector.parsePidfile(SystemFiles.readText(path))], selfPid: me)
        case .name(let name):
            return try scan(selfPid: me) { pid, stat throws(ProcShimError) in
                let facts = ProcessFacts(stat: stat, comm: try ProcFS.comm(of: pid))
                return ProcessMatching.matchesName(facts, name)
            }
        case .commandLine(let pattern):
            let regex: Regex<AnyRegexOutput>
            do { regex = try Regex(pattern) } catch { throw .invalidSpec("cmdline regex /\(pattern)/: \(error)") }
            return try scan(selfPid: me) { pid, stat throws(ProcShimError) in
                let facts = ProcessFacts(stat: stat, commandLine: try ProcFS.commandLine(of: pid))
                return ProcessMatching.matchesCommandLine(facts, regex)
            }
        case .networkNamespace(let nameOrPath):
            let namespace = try SystemFiles.deviceAndInode(ProcessSelector.networkNamespacePath(nameOrPath))
            return try scan(selfPid: me) { pid, stat throws(ProcShimError) in
                let facts = ProcessFacts(stat: stat, networkNamespace: try ProcFS.networkNamespace(of: pid))
                return ProcessMatching.matchesNamespace(facts, namespace)
            }
        case .cgroup(let path, let recursive):
            let directories = try cgroupDirectories(for: CgroupPath.validate(path))
            guard !directories.isEmpty else { throw .invalidSpec("cgroup \(path) not found in any hierarchy") }
            return try identities(cgroupPids(directories, recursive: recursive), selfPid: me)
        case .systemdUnit(let unit):
            let directories = try systemdUnitDirectories(ProcessSelector.systemdUnitName(unit))
            guard !directories.isEmpty else {
                throw .invalidSpec("no cgroup named \(ProcessSelector.systemdUnitName(unit)) under the cgroup mounts")
            }
            return try identities(cgroupPids(directories, recursive: true), selfPid: me)
        }
    }

    /// The cgroup path (as /proc/PID/cgroup prints it) of a systemd unit, from the v2
    /// hierarchy if it is there, else from the v1 `name=systemd` hierarchy; for
    /// `CgroupFreezePause`.
    public static func cgroupPath(ofSystemdUnit unit: String) throws(ProcShimError) -> String? {
        let mounts = try CgroupMounts.current()
        let name = ProcessSelector.systemdUnitName(unit)
        for mount in [mounts.unified, mounts.systemdV1].compactMap({ $0 }) {
            if let found = try findDirectory(named: name, under: mount.mountPoint, depth: 6).first {
                let relative = String(found.dropFirst(mount.mountPoint.count))
                let root = mount.root == "/" ? "" : mount.root
                return root + relative
            }
        }
        return nil
    }

    // MARK: - I/O helpers

    private static func identities(_ pids: [Int32], selfPid: Int32) throws(ProcShimError) -> [ProcessIdentity] {
        var result: Set<ProcessIdentity> = []
        for pid in pids {
            guard let stat = try? ProcFS.stat(pid) else { continue }
            if ProcessMatching.isProtected(stat, selfPid: selfPid) { continue }
            result.insert(ProcessIdentity(pid: pid, startTime: stat.startTime))
        }
        return result.sorted { $0.pid < $1.pid }
    }

    /// Walks /proc; `matches` errors for one process (it exited, EACCES) skip that process.
    private static func scan(selfPid: Int32,
                             _ matches: (Int32, ProcStat) throws(ProcShimError) -> Bool) throws(ProcShimError)
        -> [ProcessIdentity]
    {
        var result: [ProcessIdentity] = []
        for pid in try ProcFS.pids() {
            guard let stat = try? ProcFS.stat(pid), !ProcessMatching.isProtected(stat, selfPid: selfPid) else { continue }
            guard (try? matches(pid, stat)) == true else { continue }
            result.append(ProcessIdentity(pid: pid, startTime: stat.startTime))
        }
        return result
    }

    private static func cgroupDirectories(for path: String) throws(ProcShimError) -> [String] {
        let mounts = try CgroupMounts.current()
        return [mounts.unified, mounts.systemdV1, mounts.freezerV1].compactMap { $0 }
            .compactMap { $0.directory(for: path) }
            .filter { SystemFiles.exists($0 + "/cgroup.procs") }
    }

    private static func systemdUnitDirectories(_ unit: String) throws(ProcShimError) -> [String] {
        let mounts = try CgroupMounts.current()
        var found: [String] = []
        for mount in [mounts.unified, mounts.systemdV1].compactMap({ $0 }) {
            found += try findDirectory(named: unit, under: mount.mountPoint, depth: 6)
        }
        return found
    }

    /// Breadth-first search for directories called `name`, at most `depth` levels down.
    private static func findDirectory(named name: String, under root: String, depth: Int)
        throws(ProcShimError) -> [String]
    {
        var found: [String] = []
        var level = [root]
        for _ in 0..<depth where !level.isEmpty {
            var next: [String] = []
            for directory in level {
                guard let children = try? SystemFiles.subdirectories(directory) else { continue }
                for child in children {
                    let path = directory + "/" + child
                    if child == name { found.append(path) } else { next.append(path) }
                }
            }
            level = next
        }
        return found
    }

    private static func cgroupPids(_ directories: [String], recursive: Bool) throws(ProcShimError) -> [Int32] {
        var pids: Set<Int32> = []
        var pending = directories
        while let directory = pending.popLast() {
            let text = try SystemFiles.readText(directory + "/cgroup.procs")
            for line in text.split(separator: "\n") { if let pid = Int32(line) { pids.insert(pid) } }
            if recursive {
                pending += (try? SystemFiles.subdirectories(directory))?.map { directory + "/" + $0 } ?? []
            }
        }
        return pids.sorted()
    }
}
