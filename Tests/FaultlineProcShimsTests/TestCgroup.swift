#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import FaultlineProcShims

/// A cgroup a test creates (named fl-t<random>…) under a hierarchy found in mountinfo,
/// and removes in `defer`: kills what is left in it, waits until it is empty, rmdirs.
final class TestCgroup: @unchecked Sendable {
    /// Path as /proc/PID/cgroup prints it.
    let path: String
    /// Absolute directory.
    let directory: String
    private let created: [String]

    enum Hierarchy { case unified, freezerV1 }

    /// Creates `components` nested under the root (e.g. ["fl-t1a2b.slice", "fl-t1a2b-u.service"]).
    init(_ components: [String], in hierarchy: Hierarchy = .unified) throws {
        let mounts = try CgroupMounts.current()
        guard let mount = hierarchy == .unified ? mounts.unified : mounts.freezerV1 else {
            throw TestFailure("no \(hierarchy) cgroup mount")
        }
        var directory = mount.mountPoint
        var made: [String] = []
        for component in components {
            directory += "/" + component
            guard mkdir(directory, 0o755) == 0 else { throw TestFailure("mkdir \(directory): \(ErrnoName.describe(errno))") }
            made.append(directory)
        }
        self.directory = directory
        self.created = made
        self.path = (mount.root == "/" ? "" : mount.root) + "/" + components.joined(separator: "/")
    }

    func add(_ pid: Int32) throws {
        try SystemFiles.write(directory + "/cgroup.procs", "\(pid)")
    }

    func pids() -> [Int32] {
        ((try? SystemFiles.readText(directory + "/cgroup.procs")) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// SIGCONT + SIGKILL to every member, thaw, wait until empty, rmdir (deepest first).
    func remove() {
        if SystemFiles.exists(directory + "/cgroup.freeze") { try? SystemFiles.write(directory + "/cgroup.freeze", "0") }
        if SystemFiles.exists(directory + "/freezer.state") { try? SystemFiles.write(directory + "/freezer.state", "THAWED") }
        for _ in 0..<500 {
            let members = pids()
            if members.isEmpty { break }
            for pid in members { kill(pid, SIGKILL) }
            usleep(10_000)
        }
        for dir in created.reversed() {
            for _ in 0..<200 where rmdir(dir) != 0 && errno == EBUSY { usleep(10_000) }
        }
    }
}
