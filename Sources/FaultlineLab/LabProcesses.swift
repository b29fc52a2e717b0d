#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Finding, checking and ending the processes a lab started, by pid only.
///
/// A pid is signalled only when /proc/PID/cmdline still contains the lab's marker (its
/// folder, which every lab process names in its arguments) and, when known, its start
/// time matches the one recorded: the kernel reuses pids, and we end only what we started.
enum LabProcesses {
    /// The process's start time (clock ticks since boot), or nil if it is gone.
    static func startTime(_ pid: Int32) -> UInt64? {
        guard let stat = read("/proc/\(pid)/stat") else { return nil }
        // Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); start time is field 22.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The single-letter state (R, S, D, Z, T...), or nil if the process is gone.
    static func state(_ pid: Int32) -> Character? {
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first?.first
    }

    static func commandLine(_ pid: Int32) -> [String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// True when `process` is the one the lab started and it has not exited (a zombie
    /// counts as exited).
    static func isRunning(_ process: LabState.Process) -> Bool {
        Spawn.reap(process.pid)
        guard let state = state(process.pid), state != "Z", state != "X" else { return false }
        return isOurs(process.pid, marker: process.marker, startTime: process.startTime)
    }

    static func isOurs(_ pid: Int32, marker: String, startTime expected: UInt64?) -> Bool {
        guard let argv = commandLine(pid), argv.contains(where: { $0.contains(marker) }) else { return false }
        if let expected, expected != 0, startTime(pid) != expected { return false }
        return true
    }

    /// Every live process whose command line names `marker` (the lab's folder followed by
    /// a slash), for cleaning up after an `up` that crashed before it recorded a pid.
    static func findByMarker(_ marker: String) -> [Int32] {
        let me = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            pid != me && (commandLine(pid)?.dropFirst().contains { $0.contains(marker) } ?? false)
        }
    }

    /// SIGKILL (a lab needs no graceful stop: KERNEL.md found SIGTERM to every etcd member
    /// at once hangs the leader ~8 s) and wait until the process is gone or a zombie.
    /// Returns false if it was not ours any more (not signalled).
    @discardableResult
    static func kill(_ pid: Int32, marker: String, startTime: UInt64?, timeout: TimeInterval = 5) -> Bool {
        guard isOurs(pid, marker: marker, startTime: startTime) else { Spawn.reap(pid); return false }
        _ = Glibc.kill(pid, SIGKILL)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            Spawn.reap(pid)
            guard let s = state(pid), s != "Z", s != "X" else { reapZombie(pid, until: deadline); return true }
            usleep(5_000)
        }
        return true
    }

    /// Waits for a zombie child to become reapable and reaps it. A multi-threaded program
    /// (redis-server, etcd) shows as a zombie once its main thread exits, but waitpid can
    /// collect it only after every thread has: without this a long-lived parent (a test
    /// run, `faultline demo`) would keep a zombie per killed process. Not our child: no wait.
    private static func reapZombie(_ pid: Int32, until deadline: Date) {
        var status: Int32 = 0
        while Date() < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno != EINTR) { return }
            usleep(2_000)
        }
    }

    private static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }
}
