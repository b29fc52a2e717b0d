#if canImport(Glibc)
import Glibc
#endif

/// Reads /proc. The only I/O of process selection and identity checks; parsing is in
/// `ProcStat`, `MountInfo`, `ProcessSelector` (pure).
public enum ProcFS {
    /// Current stat of a pid; `.processGone` when /proc/PID does not exist.
    public static func stat(_ pid: Int32) throws(ProcShimError) -> ProcStat {
        let text: String
        do {
            text = try SystemFiles.readText("/proc/\(pid)/stat")
        } catch {
            if error.errno == ENOENT || error.errno == ESRCH { throw .processGone(pid: pid) }
            throw error
        }
        return try ProcStat.parse(text)
    }

    /// The identity (pid + start time) of a live pid.
    public static func identity(of pid: Int32) throws(ProcShimError) -> ProcessIdentity {
        let stat = try stat(pid)
        return ProcessIdentity(pid: pid, startTime: stat.startTime)
    }

    /// Whether the recorded process still exists as that very process.
    public static func liveness(of identity: ProcessIdentity) throws(ProcShimError) -> ProcessLiveness {
        let stat: ProcStat
        do {
            stat = try self.stat(identity.pid)
        } catch {
            if case .processGone = error { return .gone }
            throw error
        }
        if stat.startTime != identity.startTime { return .reused(actualStartTime: stat.startTime) }
        return .alive(stat)
    }

    /// Throws unless `identity` is alive (zombies count as alive: they still hold the pid).
    public static func verify(_ identity: ProcessIdentity) throws(ProcShimError) -> ProcStat {
        switch try liveness(of: identity) {
        case .alive(let stat): return stat
        case .gone: throw .processGone(pid: identity.pid)
        case .reused(let actual):
            throw .pidReused(pid: identity.pid, expectedStartTime: identity.startTime, actualStartTime: actual)
        }
    }

    /// All numeric entries of /proc (thread-group leaders).
    public static func pids() throws(ProcShimError) -> [Int32] {
        try SystemFiles.list("/proc").compactMap { Int32($0) }.sorted()
    }

    /// Thread ids of a process (/proc/PID/task).
    public static func threads(of pid: Int32) throws(ProcShimError) -> [Int32] {
        do {
            return try SystemFiles.list("/proc/\(pid)/task").compactMap { Int32($0) }.sorted()
        } catch {
            if error.errno == ENOENT { throw .processGone(pid: pid) }
            throw error
        }
    }

    /// argv of a process (NUL-separated /proc/PID/cmdline); empty for kernel threads and zombies.
    /// Bytes of a command line read for matching: a selector needs its start, and a hostile
    /// process could hold megabytes of arguments.
    public static let commandLineLimit = 4096

    public static func commandLine(of pid: Int32) throws(ProcShimError) -> [String] {
        ProcCommandLine.split(try SystemFiles.read("/proc/\(pid)/cmdline", limit: commandLineLimit))
    }

    /// The kernel's short name (/proc/PID/comm, ≤ 15 bytes).
    public static func comm(of pid: Int32) throws(ProcShimError) -> String {
        var text = try SystemFiles.readText("/proc/\(pid)/comm")
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// Device and inode of /proc/PID/ns/net: equal for processes in the same network namespace.
    public static func networkNamespace(of pid: Int32) throws(ProcShimError) -> FileIdentity {
        try SystemFiles.deviceAndInode("/proc/\(pid)/ns/net")
    }

    /// The lines of /proc/PID/cgroup, parsed.
    public static func cgroups(of pid: Int32) throws(ProcShimError) -> [CgroupMembership] {
        CgroupMembership.parse(try SystemFiles.readText("/proc/\(pid)/cgroup"))
    }

    /// The clock tick rate that start times are counted in.
    public static var clockTicksPerSecond: Int { sysconf(Int32(_SC_CLK_TCK)) }
}

/// argv from /proc/PID/cmdline bytes.
public enum ProcCommandLine {
    public static func split(_ bytes: [UInt8]) -> [String] {
        var parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        if parts.last == "" { parts.removeLast() }
        return parts
    }
}
