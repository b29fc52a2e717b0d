#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineProcShims

/// kill through pidfds against real child processes.
@Suite struct KillTests {
    static func termSignal(_ status: Int32) -> Int32? { status & 0x7f != 0 && status & 0x7f != 0x7f ? status & 0x7f : nil }
    static func exitCode(_ status: Int32) -> Int32? { status & 0x7f == 0 ? (status >> 8) & 0xff : nil }

    @Test("TERM, KILL, INT and HUP terminate the target; the pidfd confirms exit",
          arguments: [Signal.terminate, .kill, .interrupt, .hangup])
    func defaultActionSignals(_ signal: Signal) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ticker = try Fixtures.compileC("ticker.c", into: dir.path, output: "ticker")
        let child = try ChildProcess([ticker, dir.path + "/count", "0"])
        defer { child.terminate() }
        let kill = KillFault()
        let spec = KillFault.Spec(targets: [try child.identity], signal: signal, waitForExit: .seconds(5))
        let undo = try kill.prepare(spec)
        let applied = try kill.apply(spec, undo: undo)
        #expect(applied.outcomes == [try #require(try? ProcessIdentity(pid: child.pid, startTime: undo.targets[0].startTime)): .exited])
        // The pidfd saw the exit while the child was still an unreaped zombie.
        #expect(try ProcFS.stat(child.pid).isZombie)
        #expect(Self.termSignal(child.waitForExit()) == signal.number)
        #expect(try kill.revert(undo).entries.map(\.outcome) == [.irreversible])
    }

    @Test("USR1 is delivered to a handler, which records it and exits 0")
    func handledSignal() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ticker = try Fixtures.compileC("ticker.c", into: dir.path, output: "ticker")
        let child = try ChildProcess([ticker, dir.path + "/count", "0"])
        defer { child.terminate() }
        // Wait until the handler is installed (the first tick is written after signal()).
        for _ in 0..<500 where !FileManager.default.fileExists(atPath: dir.path + "/count.0") { usleep(2000) }
        let kill = KillFault()
        let spec = KillFault.Spec(targets: [try child.identity], signal: .user1, waitForExit: .seconds(5))
        let applied = try kill.apply(spec, undo: try kill.prepare(spec))
        #expect(applied.outcomes.values.first == .exited)
        #expect(Self.exitCode(child.waitForExit()) == 0)
        #expect(try String(contentsOfFile: dir.path + "/count.signal", encoding: .utf8) == "USR1\n")
    }

    @Test("a target that survives its signal is reported signalled, not exited")
    func survivingTarget() throws {
        let child = try ChildProcess(["/bin/sleep", "30"])
        defer { child.terminate() }
        let kill = KillFault()
        let spec = KillFault.Spec(targets: [try child.identity], signal: .cont, waitForExit: .milliseconds(200))
        let applied = try kill.apply(spec, undo: try kill.prepare(spec))
        #expect(applied.outcomes.values.first == .signalled)
        #expect(!child.reapIfExited())
    }

    @Test("a pidfd to an exited, reaped process fails with ESRCH instead of reaching a newcomer")
    func pidfdAfterReap() throws {
        let child = try ChildProcess(["/bin/sleep", "30"])
        let handle = try PidFD.open(try child.identity)
        child.terminate()  // SIGKILL + waitpid: the pid is free for reuse now
        do {
            try handle.send(.kill)
            Issue.record("pidfd_send_signal to a reaped process succeeded")
        } catch {
            #expect(error.errno == ESRCH, "\(error)")
            #expect("\(error)".contains("pidfd_send_signal"))
            #expect("\(error)".contains("ESRCH"))
        }
    }

    @Test("a stale start time (pid reuse) is refused: nothing is signalled")
    func staleStartTimeRefused() throws {
        let child = try ChildProcess(["/bin/sleep", "30"])
        defer { child.terminate() }
        let real = try child.identity
        let stale = ProcessIdentity(pid: real.pid, startTime: real.startTime &- 1)
        #expect(throws: ProcShimError.pidReused(pid: real.pid, expectedStartTime: stale.startTime, actualStartTime: real.startTime)) {
            _ = try PidFD.open(stale)
        }
        let kill = KillFault()
        let spec = KillFault.Spec(targets: [stale], signal: .kill, waitForExit: .milliseconds(100))
        let applied = try kill.apply(spec, undo: try kill.prepare(spec))
        #expect(applied.outcomes == [stale: .alreadyGone])
        usleep(50_000)
        #expect(!child.reapIfExited(), "the process now holding the pid was not killed")
    }

    @Test("the agent's own pid and init are refused")
    func refusesSelfAndInit() throws {
        let me = try ProcFS.identity(of: getpid())
        #expect(throws: ProcShimError.self) { _ = try KillFault().prepare(.init(targets: [me], signal: .kill)) }
        let initProcess = try ProcFS.identity(of: 1)
        #expect(throws: ProcShimError.self) { _ = try KillFault().prepare(.init(targets: [initProcess], signal: .kill)) }
    }
}
