#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineProcShims

/// Each selector kind finds exactly the processes the test started (unique names and
/// argv markers), with their start times.
@Suite struct SelectionTests {
    /// A ticker binary with a unique file name (so a unique comm) and a unique argv marker.
    struct Marked {
        let dir: TemporaryDirectory
        let tag: String
        let binary: String
        var marker: String { tag + "-marker" }

        init() throws {
            dir = try TemporaryDirectory()
            tag = "fl-t\(UniqueName.random4())"
            binary = try Fixtures.compileC("ticker.c", into: dir.path, output: tag + "-sel")
        }

        func start(_ prefixArgv: [String] = []) throws -> ChildProcess {
            try ChildProcess(prefixArgv + [binary, dir.path + "/count", "0", marker])
        }
    }

    @Test("pid and pidfile")
    func pidAndPidfile() throws {
        let marked = try Marked()
        defer { marked.dir.remove() }
        let child = try marked.start()
        defer { child.terminate() }
        let identity = try child.identity
        #expect(try ProcessSelection.resolve(.pid(child.pid)) == [identity])
        let pidfile = marked.dir.path + "/service.pid"
        try "\(child.pid)\n".write(toFile: pidfile, atomically: true, encoding: .utf8)
        #expect(try ProcessSelection.resolve(.pidfile(path: pidfile)) == [identity])
    }

    @Test("exact name (comm) and command-line regex")
    func nameAndCommandLine() throws {
        let marked = try Marked()
        defer { marked.dir.remove() }
        let first = try marked.start()
        defer { first.terminate() }
        let second = try marked.start()
        defer { second.terminate() }
        let expected = [try first.identity, try second.identity].sorted { $0.pid < $1.pid }
        #expect(try ProcessSelection.resolve(.name(marked.tag + "-sel")) == expected)
        #expect(try ProcessSelection.resolve(.commandLine(regex: "\(marked.marker)$")) == expected)
        #expect(try ProcessSelection.resolve(.commandLine(regex: "count 0 \(marked.tag)-nomatch")) == [])
        #expect(throws: ProcShimError.self) { _ = try ProcessSelection.resolve(.commandLine(regex: "([unclosed")) }
    }

    @Test("cgroup path and systemd unit (through its cgroup)")
    func cgroupAndSystemdUnit() throws {
        let marked = try Marked()
        defer { marked.dir.remove() }
        let cgroup = try TestCgroup([marked.tag + ".slice", marked.tag + "-u.service"])
        defer { cgroup.remove() }
        let inside = try marked.start()
        defer { inside.terminate() }
        let outside = try marked.start()
        defer { outside.terminate() }
        try cgroup.add(inside.pid)
        let expected = [try inside.identity]
        #expect(try ProcessSelection.resolve(.cgroup(path: cgroup.path, recursive: false)) == expected)
        #expect(try ProcessSelection.resolve(.cgroup(path: "/\(marked.tag).slice", recursive: true)) == expected)
        #expect(try ProcessSelection.resolve(.cgroup(path: "/\(marked.tag).slice", recursive: false)) == [])
        #expect(try ProcessSelection.resolve(.systemdUnit(marked.tag + "-u")) == expected)
        #expect(try ProcessSelection.resolve(.systemdUnit(marked.tag + "-u.service")) == expected)
        #expect(try ProcessSelection.cgroupPath(ofSystemdUnit: marked.tag + "-u") == cgroup.path)
        #expect(throws: ProcShimError.self) { _ = try ProcessSelection.resolve(.systemdUnit(marked.tag + "-missing")) }
    }

    @Test("all processes of an ip netns namespace")
    func networkNamespace() throws {
        let marked = try Marked()
        defer { marked.dir.remove() }
        let namespace = marked.tag + "-ns"
        try Fixtures.run(["/usr/sbin/ip", "netns", "add", namespace])
        defer { try? Fixtures.run(["/usr/sbin/ip", "netns", "delete", namespace]) }
        let inside = try marked.start(["/usr/sbin/ip", "netns", "exec", namespace])
        defer { inside.terminate() }
        let outside = try marked.start()
        defer { outside.terminate() }
        // ip execs the ticker after setns; wait until the pid runs the ticker in the namespace.
        let target = try SystemFiles.deviceAndInode("/run/netns/" + namespace)
        for _ in 0..<1000 {
            if (try? ProcFS.networkNamespace(of: inside.pid)) == target,
               (try? ProcFS.comm(of: inside.pid)) == ProcessSelector.commName(marked.tag + "-sel") { break }
            usleep(2000)
        }
        let expected = [try inside.identity]
        #expect(try ProcessSelection.resolve(.networkNamespace(namespace)) == expected)
        #expect(try ProcessSelection.resolve(.networkNamespace("/run/netns/" + namespace)) == expected)
        #expect(try ProcessSelection.resolve(.networkNamespace("/proc/\(inside.pid)/ns/net")) == expected)
    }

    @Test("the agent itself and pid 1 are never selected; a reused pid's start time differs")
    func protectedAndStartTime() throws {
        #expect(try ProcessSelection.resolve(.pid(getpid())) == [])
        #expect(try ProcessSelection.resolve(.pid(1)) == [])
        let marked = try Marked()
        defer { marked.dir.remove() }
        let child = try marked.start()
        let identity = try child.identity
        #expect(try ProcFS.liveness(of: identity) == .alive(try ProcFS.stat(child.pid)))
        child.terminate()
        #expect(try ProcFS.liveness(of: identity) == .gone)
        #expect(try ProcessSelection.resolve(.pid(identity.pid)) == [])
        let other = ProcessIdentity(pid: getpid(), startTime: 1)
        if case .reused = try ProcFS.liveness(of: other) {} else { Issue.record("start time mismatch not seen as reuse") }
    }
}
