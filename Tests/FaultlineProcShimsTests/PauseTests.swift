#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineProcShims

/// Pause and resume of real processes: SIGSTOP/SIGCONT, the cgroup v2 freezer, the v1 freezer.
@Suite struct PauseTests {
    /// Counter values the ticker fixture wrote to `<prefix>.<index>`.
    static func counters(_ prefix: String, count: Int) -> [Int] {
        (0..<count).map { index in
            Int(((try? String(contentsOfFile: "\(prefix).\(index)", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
    }

    /// Waits until all `count` counters exist and tick.
    static func waitTicking(_ prefix: String, count: Int) throws {
        for _ in 0..<1000 {
            if counters(prefix, count: count).allSatisfy({ $0 > 2 }) { return }
            usleep(5000)
        }
        throw TestFailure("tickers \(prefix).* did not start")
    }

    /// Whether every counter advances within `window` (true) or none does (false).
    static func progress(_ prefix: String, count: Int, window: useconds_t = 150_000) -> [Bool] {
        let before = counters(prefix, count: count)
        usleep(window)
        let after = counters(prefix, count: count)
        return zip(before, after).map { $0 < $1 }
    }

    @Test("SIGSTOP pause stops the progress counter; revert resumes it; revert is idempotent")
    func signalPause() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ticker = try Fixtures.compileC("ticker.c", into: dir.path, output: "ticker")
        let prefix = dir.path + "/count"
        let child = try ChildProcess([ticker, prefix, "0"])
        defer { child.terminate() }
        try Self.waitTicking(prefix, count: 1)

        let pause = SignalPause()
        let spec = SignalPause.Spec(targets: [try child.identity])
        let undo = try pause.prepare(spec)
        let applied = try pause.apply(spec, undo: undo)
        #expect(applied.stopped == spec.targets)
        #expect(try ProcFS.stat(child.pid).isStopped)
        #expect(Self.progress(prefix, count: 1) == [false])

        #expect(try pause.revert(undo).entries.map(\.outcome) == [.reverted])
        #expect(Self.progress(prefix, count: 1) == [true])
        #expect(try pause.revert(undo).entries.map(\.outcome) == [.alreadyReverted])
    }

    @Test("agent crash while paused: revert from the ledger's Undo in a fresh instance resumes")
    func signalPauseCrashRecovery() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ticker = try Fixtures.compileC("ticker.c", into: dir.path, output: "ticker")
        let prefix = dir.path + "/count"
        let child = try ChildProcess([ticker, prefix, "0"])
        defer { child.terminate() }
        try Self.waitTicking(prefix, count: 1)
        let spec = SignalPause.Spec(targets: [try child.identity])
        let ledger = try JSONEncoder().encode(try SignalPause().prepare(spec))
        _ = try SignalPause().apply(spec, undo: try JSONDecoder().decode(SignalPause.Undo.self, from: ledger))
        #expect(Self.progress(prefix, count: 1) == [false])
        let report = try SignalPause().revert(try JSONDecoder().decode(SignalPause.Undo.self, from: ledger))
        #expect(report.entries.map(\.outcome) == [.reverted])
        #expect(Self.progress(prefix, count: 1) == [true])
    }

    @Test("revert after the paused process exited reports targetGone")
    func signalPauseTargetGone() throws {
        let child = try ChildProcess(["/bin/sleep", "30"])
        let spec = SignalPause.Spec(targets: [try child.identity])
        let undo = try SignalPause().prepare(spec)
        _ = try SignalPause().apply(spec, undo: undo)
        child.terminate()
        #expect(try SignalPause().revert(undo).entries.map(\.outcome) == [.targetGone])
    }

    @Test("cgroup v2 freezer pauses a whole process tree; revert from a fresh instance thaws it")
    func cgroupV2FreezeTree() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ticker = try Fixtures.compileC("ticker.c", into: dir.path, output: "ticker")
        let prefix = dir.path + "/count"
        let cgroup = try TestCgroup(["fl-t\(UniqueName.random4())"])
        defer { cgroup.remove() }
        // The shell moves itself into the cgroup before exec, so every fork lands there too.
        let child = try ChildProcess(["/bin/sh", "-c", "echo $$ > \(cgroup.directory)/cgroup.procs && exec \(ticker) \(prefix) 3"])
        defer { child.terminate() }
        try Self.waitTicking(prefix, count: 4)
        #expect(cgroup.pids().count == 4)

        let freeze = CgroupFreezePause()
        let spec = CgroupFreezePause.Spec(cgroup: cgroup.path)
        let undo = try freeze.prepare(spec)
        #expect(undo.freezer == .unified)
        let ledger = try JSONEncoder().encode(undo)
        _ = try freeze.apply(spec, undo: undo)
        #expect(Self.progress(prefix, count: 4) == [false, false, false, false])

        let report = try CgroupFreezePause().revert(try JSONDecoder().decode(CgroupFreezePause.Undo.self, from: ledger))
        #expect(report.entries.map(\.outcome) == [.reverted])
        #expect(Self.progress(prefix, count: 4) == [true, true, true, true])
        #expect(try freeze.revert(undo).entries.map(\.outcome) == [.alreadyReverted])
    }

    @Test("cgroup v1 freezer is used when the cgroup exists only in the v1 freezer hierarchy",
          .enabled(if: (try? CgroupMounts.current().freezerV1) != nil, "no cgroup v1 freezer mounted"))
    func cgroupV1Freeze() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ticker = try Fixtures.compileC("ticker.c", into: dir.path, output: "ticker")
        let prefix = dir.path + "/count"
        let cgroup = try TestCgroup(["fl-t\(UniqueName.random4())"], in: .freezerV1)
        defer { cgroup.remove() }
        let child = try ChildProcess(["/bin/sh", "-c", "echo $$ > \(cgroup.directory)/cgroup.procs && exec \(ticker) \(prefix) 1"])
        defer { child.terminate() }
        try Self.waitTicking(prefix, count: 2)
        let freeze = CgroupFreezePause()
        let spec = CgroupFreezePause.Spec(cgroup: cgroup.path)
        let undo = try freeze.prepare(spec)
        #expect(undo.freezer == .v1)
        _ = try freeze.apply(spec, undo: undo)
        #expect(Self.progress(prefix, count: 2) == [false, false])
        #expect(try freeze.revert(undo).entries.map(\.outcome) == [.reverted])
        #expect(Self.progress(prefix, count: 2) == [true, true])
    }

    @Test("revert of a removed cgroup reports targetGone; root and own cgroup are refused")
    func cgroupEdgeCases() throws {
        let cgroup = try TestCgroup(["fl-t\(UniqueName.random4())"])
        let undo = try CgroupFreezePause().prepare(.init(cgroup: cgroup.path))
        cgroup.remove()
        #expect(try CgroupFreezePause().revert(undo).entries.map(\.outcome) == [.targetGone])
        #expect(throws: ProcShimError.refused("the root cgroup cannot be frozen")) {
            _ = try CgroupFreezePause().prepare(.init(cgroup: "/"))
        }
        #expect(throws: ProcShimError.self) { _ = try CgroupFreezePause().prepare(.init(cgroup: "/fl-does-not-exist-\(UniqueName.random4())")) }
        #expect(throws: ProcShimError.self) { _ = try CgroupFreezePause().prepare(.init(cgroup: "/a/../b")) }
    }
}
