import FaultlineCore
#if canImport(Glibc)
import Glibc
#endif

/// Resolves a `ProcessSelector` against /proc and the cgroup filesystem.
///
/// Returns identities (pid + start time) sorted by pid. Processes that exit while being
/// read are skipped. The agent itself, pid 1 and kernel threads are never returned.
///
/// A caller names the selector, so resolution is bounded: with a `scope` only processes in
/// that network namespace are candidates, and the scope is checked *before* any matcher
/// runs (a pattern never sees a process outside it); a `deadline` ends a /proc or cgroup
/// walk with `timedOut`; pidfiles are read only as small regular files; command lines
/// are matched in linear time (`CommandLinePattern`) on their first 4 KiB.
public enum ProcessSelection {
    /// The biggest pidfile read (a pid and a newline, with room for spaces).
    public static let pidfileLimit = 64

    public static func resolve(_ selector: ProcessSelector, scope: FileIdentity? = nil,
                               deadline: SelectionDeadline = .none) throws(ProcShimError) -> [ProcessIdentity] {
        try selector.validate()
        let bound = Bound(selfPid: getpid(), scope: scope, deadline: deadline)
        switch selector {
        case .pid(let pid):
            return try identities([pid], bound)
        case .pidfile(let path):
            let text = String(decoding: try SystemFiles.readSmallRegularFile(path, limit: pidfileLimit), as: UTF8.self)
            return try identities([ProcessSelector.parsePidfile(text)], bound)
        case .name(let name):
            return try scan(bound) { pid, stat throws(ProcShimError) in
                let facts = ProcessFacts(stat: stat, comm: try ProcFS.comm(of: pid))
                return ProcessMatching.matchesName(facts, name)
            }
        case .commandLine(let source):
            let pattern: CommandLinePattern
            do { pattern = try CommandLinePattern(source) } catch { throw .invalidSpec("cmdline regex /\(source)/: \(error)") }
            return try scan(bound) { pid, stat throws(ProcShimError) in
                let facts = ProcessFacts(stat: stat, commandLine: try ProcFS.commandLine(of: pid))
                return ProcessMatching.matchesCommandLine(facts, pattern)
            }
        case .networkNamespace(let nameOrPath):
            let namespace = try SystemFiles.deviceAndInode(ProcessSelector.networkNamespacePath(nameOrPath))
            return try scan(bound) { pid, stat throws(ProcShimError) in
                let facts = ProcessFacts(stat: stat, networkNamespace: try ProcFS.networkNamespace(of: pid))
                return ProcessMatching.matchesNamespace(facts, namespace)
            }
        case .cgroup(let path, let recursive):
            let directories = try cgroupDirectories(for: CgroupPath.validate(path))
            guard !directories.isEmpty else { throw .invalidSpec("cgroup \(path) not found in any hierarchy") }
            return try identities(cgroupPids(directories, recursive: recursive, bound), bound)
        case .systemdUnit(let unit):
            let directories = try systemdUnitDirectories(ProcessSelector.systemdUnitName(unit), bound)
            guard !directories.isEmpty else {
                throw .invalidSpec("no cgroup named \(ProcessSelector.systemdUnitName(unit)) under the cgroup mounts")
            }
            return try identities(cgroupPids(directories, recursive: true, bound), bound)
        }
    }

    /// The members of a cgroup (recursively) that are *outside* `scope`: a freezer pause acts
    /// on the whole cgroup, so it is refused when any member is beyond the agent's reach.
    public static func members(ofCgroup path: String, outside scope: FileIdentity,
                               deadline: SelectionDeadline = .none) throws(ProcShimError) -> [Int32] {
        let bound = Bound(selfPid: getpid(), scope: nil, deadline: deadline)
        let directories = try cgroupDirectories(for: CgroupPath.validate(path))
        guard !directories.isEmpty else { throw .invalidSpec("cgroup \(path) not found in any hierarchy") }
        return try cgroupPids(directories, recursive: true, bound).filter { pid in
            guard let namespace = try? ProcFS.networkNamespace(of: pid) else { return false }  // exited
            return namespace != scope
        }
    }

    /// The limits one resolution runs under.
    struct Bound {
        var selfPid: Int32
        var scope: FileIdentity?
        var deadline: SelectionDeadline
        /// True when `pid` may be selected at all (inside the scope, if there is one).
        func inScope(_ pid: Int32) -> Bool {
            guard let scope else { return true }
            return (try? ProcFS.networkNamespace(of: pid)) == scope
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

    private static func identities(_ pids: [Int32], _ bound: Bound) throws(ProcShimError) -> [ProcessIdentity] {
        var result: Set<ProcessIdentity> = []
        for pid in pids {
            try bound.deadline.check("selecting processes")
            guard let stat = try? ProcFS.stat(pid) else { continue }
            if ProcessMatching.isProtected(stat, selfPid: bound.selfPid) || !bound.inScope(pid) { continue }
            result.insert(ProcessIdentity(pid: pid, startTime: stat.startTime))
        }
        return result.sorted { $0.pid < $1.pid }
    }

    /// Walks /proc; `matches` errors for one process (it exited, EACCES) skip that process.
    private static func scan(_ bound: Bound,
                             _ matches: (Int32, ProcStat) throws(ProcShimError) -> Bool) throws(ProcShimError)
        -> [ProcessIdentity]
    {
        var result: [ProcessIdentity] = []
        for pid in try ProcFS.pids() {
            try bound.deadline.check("scanning /proc")
            guard let stat = try? ProcFS.stat(pid), !ProcessMatching.isProtected(stat, selfPid: bound.selfPid) else { continue }
            // The scope comes before the matcher: a pattern never runs on a process outside it.
            guard bound.inScope(pid) else { continue }
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

    private static func systemdUnitDirectories(_ unit: String, _ bound: Bound) throws(ProcShimError) -> [String] {
        let mounts = try CgroupMounts.current()
        var found: [String] = []
        for mount in [mounts.unified, mounts.systemdV1].compactMap({ $0 }) {
            try bound.deadline.check("searching the cgroup tree")
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

    private static func cgroupPids(_ directories: [String], recursive: Bool, _ bound: Bound) throws(ProcShimError) -> [Int32] {
        var pids: Set<Int32> = []
        var pending = directories
        while let directory = pending.popLast() {
            try bound.deadline.check("reading cgroup members")
            let text = try SystemFiles.readText(directory + "/cgroup.procs")
            for line in text.split(separator: "\n") { if let pid = Int32(line) { pids.insert(pid) } }
            if recursive {
                pending += (try? SystemFiles.subdirectories(directory))?.map { directory + "/" + $0 } ?? []
            }
        }
        return pids.sorted()
    }
}
