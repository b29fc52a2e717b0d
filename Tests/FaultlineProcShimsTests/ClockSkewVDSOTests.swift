#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineProcShims

/// Process-scope clock skew against real running programs: a multi-threaded C program
/// (dynamic and static), a Go program, and a real etcd member. The host clock is never
/// touched: only the target's vDSO entries change.
@Suite(.serialized) struct ClockSkewVDSOTests {
    /// One line of clockprobe.c output.
    struct ProbeLine {
        var realtime: Double, gettimeofday: Int64, time: Int64, monotonic: Double, coarse: Int64, busyCalls: Int64
        init(_ line: String) throws {
            let f = line.split(separator: " ").compactMap { Int64($0) }
            guard f.count == 8 else { throw TestFailure("bad probe line \(line)") }
            realtime = Double(f[0]) + Double(f[1]) / 1e9
            gettimeofday = f[2]; time = f[3]
            monotonic = Double(f[4]) + Double(f[5]) / 1e9
            coarse = f[6]; busyCalls = f[7]
        }
    }

    static func hostRealtime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func hostMonotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Asserts that every realtime reading of `line` is the host's realtime + `offset`
    /// (within `slack` seconds) and monotonic is the host's monotonic.
    static func expectSkew(_ line: ProbeLine, offset: Double, slack: Double = 3, sourceLocation: SourceLocation = #_sourceLocation) {
        let host = hostRealtime()
        #expect(abs(line.realtime - (host + offset)) < slack, "CLOCK_REALTIME \(line.realtime) vs host \(host) + \(offset)", sourceLocation: sourceLocation)
        #expect(abs(Double(line.gettimeofday) - (host + offset)) < slack + 1, "gettimeofday", sourceLocation: sourceLocation)
        #expect(abs(Double(line.time) - (host + offset)) < slack + 1, "time()", sourceLocation: sourceLocation)
        #expect(abs(Double(line.coarse) - (host + offset)) < slack + 1, "CLOCK_REALTIME_COARSE", sourceLocation: sourceLocation)
        #expect(abs(line.monotonic - hostMonotonic()) < slack, "CLOCK_MONOTONIC must not move", sourceLocation: sourceLocation)
    }

    /// Reads the current bytes of every recorded entry.
    static func entryBytes(_ undo: VDSOClockSkew.Undo) throws -> [[UInt8]] {
        let memory = try ProcessMemory(pid: undo.target.pid)
        return try undo.entries.map { try memory.read($0.address, count: ClockTrampoline.stubLength) }
    }

    @Test("REALTIME +3600 s on a multi-threaded C program, MONOTONIC unchanged, restored byte-exact")
    func skewsDynamicCProgram() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let binary = try Fixtures.compileC("clockprobe.c", into: dir.path, output: "clockprobe")
        let child = try ChildProcess([binary, "3"], pipes: true)
        defer { child.terminate() }
        let before = try ProbeLine(child.ask())
        Self.expectSkew(before, offset: 0)

        let skew = VDSOClockSkew()
        let spec = VDSOClockSkew.Spec(target: try child.identity, offset: .seconds(3600))
        let undo = try skew.prepare(spec)
        #expect(Set(undo.entries.map(\.function)) == Set(ClockFunction.allCases))
        let applied = try skew.apply(spec, undo: undo)
        #expect(!applied.offsetUpdatedOnly)
        let skewed = try ProbeLine(child.ask())
        Self.expectSkew(skewed, offset: 3600)

        let report = try skew.revert(undo)
        #expect(report.entries.map(\.outcome) == [.reverted], "\(report)")
        #expect(try Self.entryBytes(undo) == undo.entries.map(\.originalBytes))
        let after = try ProbeLine(child.ask())
        Self.expectSkew(after, offset: 0)
        #expect(after.busyCalls > before.busyCalls, "busy threads kept running")
        // The trampoline page is gone from the target's address space.
        let maps = MemoryMapping.parse(try SystemFiles.readText("/proc/\(child.pid)/maps"))
        #expect(!maps.contains { $0.start == applied.trampolinePage })

        // Idempotent: a second revert finds nothing to do.
        #expect(try skew.revert(undo).entries.map(\.outcome) == [.alreadyReverted])
    }

    @Test("negative offset with a sub-second part carries correctly")
    func negativeSubsecondOffset() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let binary = try Fixtures.compileC("clockprobe.c", into: dir.path, output: "clockprobe")
        let child = try ChildProcess([binary, "1"], pipes: true)
        defer { child.terminate() }
        let skew = VDSOClockSkew()
        let spec = VDSOClockSkew.Spec(target: try child.identity, offset: .seconds(-86400) - .milliseconds(250))
        let undo = try skew.prepare(spec)
        _ = try skew.apply(spec, undo: undo)
        defer { _ = try? skew.revert(undo) }
        let line = try ProbeLine(child.ask())
        Self.expectSkew(line, offset: -86400.25, slack: 1)
    }

    @Test("100 apply/revert cycles on a target with 4 busy threads")
    func hundredCycles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let binary = try Fixtures.compileC("clockprobe.c", into: dir.path, output: "clockprobe")
        let child = try ChildProcess([binary, "4"], pipes: true)
        defer { child.terminate() }
        let skew = VDSOClockSkew()
        let spec = VDSOClockSkew.Spec(target: try child.identity, offset: .seconds(3600))
        let undo = try skew.prepare(spec)
        let original = try Self.entryBytes(undo)
        var lastCalls: Int64 = 0
        for cycle in 0..<100 {
            _ = try skew.apply(spec, undo: undo)
            if cycle % 10 == 0 { Self.expectSkew(try ProbeLine(child.ask()), offset: 3600) }
            let report = try skew.revert(undo)
            #expect(report.entries.map(\.outcome) == [.reverted])
            if cycle % 10 == 0 {
                let line = try ProbeLine(child.ask())
                Self.expectSkew(line, offset: 0)
                #expect(line.busyCalls >= lastCalls)
                lastCalls = line.busyCalls
            }
        }
        #expect(try Self.entryBytes(undo) == original)
        #expect(kill(child.pid, 0) == 0 && !child.reapIfExited(), "target still running")
        // No trampoline pages leaked: no anonymous r-xp page is left.
        let maps = MemoryMapping.parse(try SystemFiles.readText("/proc/\(child.pid)/maps"))
        #expect(maps.filter { $0.permissions == "r-xp" && $0.name.isEmpty && $0.end - $0.start == 4096 }.isEmpty)
    }

    @Test("static binary (cc -static) is skewed and restored")
    func skewsStaticBinary() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let binary = try Fixtures.compileC("clockprobe.c", into: dir.path, output: "clockprobe-static", flags: ["-static"])
        let child = try ChildProcess([binary, "2"], pipes: true)
        defer { child.terminate() }
        let skew = VDSOClockSkew()
        let spec = VDSOClockSkew.Spec(target: try child.identity, offset: .seconds(3600))
        let undo = try skew.prepare(spec)
        _ = try skew.apply(spec, undo: undo)
        Self.expectSkew(try ProbeLine(child.ask()), offset: 3600)
        #expect(try skew.revert(undo).entries.map(\.outcome) == [.reverted])
        Self.expectSkew(try ProbeLine(child.ask()), offset: 0)
        #expect(try Self.entryBytes(undo) == undo.entries.map(\.originalBytes))
    }

    @Test("Go binary: time.Now() skewed, monotonic time unaffected")
    func skewsGoBinary() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let source = dir.path + "/main.go"
        try FileManager.default.copyItem(atPath: Fixtures.directory + "/clockprobe.go", toPath: source)
        var env = ProcessInfo.processInfo.environment
        env["GOCACHE"] = dir.path + "/gocache"
        env["GOPATH"] = dir.path + "/gopath"
        env["GOFLAGS"] = "-mod=mod"
        env["GOPROXY"] = "off"
        env["GO111MODULE"] = "off"
        env["HOME"] = dir.path
        try Fixtures.run(["/usr/bin/go", "build", "-o", dir.path + "/goprobe", source], environment: env)
        let child = try ChildProcess([dir.path + "/goprobe"], pipes: true)
        defer { child.terminate() }
        func read() throws -> (unix: Double, mono: Double) {
            let f = try child.ask().split(separator: " ").compactMap { Double($0) }
            guard f.count == 2 else { throw TestFailure("bad go probe line") }
            return (f[0], f[1] / 1e9)
        }
        let before = try read()
        let skew = VDSOClockSkew()
        let spec = VDSOClockSkew.Spec(target: try child.identity, offset: .seconds(3600))
        let undo = try skew.prepare(spec)
        _ = try skew.apply(spec, undo: undo)
        let during = try read()
        #expect(abs(during.unix - (Self.hostRealtime() + 3600)) < 3)
        #expect(during.mono - before.mono < 30, "Go's monotonic reading must not jump")
        #expect(try skew.revert(undo).entries.map(\.outcome) == [.reverted])
        let after = try read()
        #expect(abs(after.unix - Self.hostRealtime()) < 3)
        #expect(after.mono >= during.mono)
    }

    @Test("strobe alternates the offset live without stopping the target")
    func strobe() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let binary = try Fixtures.compileC("clockprobe.c", into: dir.path, output: "clockprobe")
        let child = try ChildProcess([binary, "1"], pipes: true)
        defer { child.terminate() }
        let skew = VDSOClockSkew()
        let spec = VDSOClockSkew.Spec(target: try child.identity, offset: .seconds(3600))
        let undo = try skew.prepare(spec)
        _ = try skew.apply(spec, undo: undo)
        defer { _ = try? skew.revert(undo) }
        let strobe = try ClockSkewStrobe.start(undo: undo, offsets: (.seconds(3600), .seconds(-3600)), interval: .milliseconds(50))
        var seen: Set<Int> = []
        for _ in 0..<40 {
            let line = try ProbeLine(child.ask())
            seen.insert(Int(((line.realtime - Self.hostRealtime()) / 3600).rounded()))
            usleep(20_000)
        }
        let flips = strobe.stop()
        #expect(seen == [1, -1], "saw offsets (hours) \(seen)")
        #expect(flips > 5)
        #expect(try skew.revert(undo).entries.map(\.outcome) == [.reverted])
        Self.expectSkew(try ProbeLine(child.ask()), offset: 0)
    }

    @Test("revert from a decoded Undo in a fresh instance (agent crash) restores the clock")
    func revertAfterCrash() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let binary = try Fixtures.compileC("clockprobe.c", into: dir.path, output: "clockprobe")
        let child = try ChildProcess([binary, "2"], pipes: true)
        defer { child.terminate() }
        let spec = VDSOClockSkew.Spec(target: try child.identity, offset: .seconds(7200))
        let ledger = try JSONEncoder().encode(try VDSOClockSkew().prepare(spec))
        _ = try VDSOClockSkew().apply(spec, undo: try JSONDecoder().decode(VDSOClockSkew.Undo.self, from: ledger))
        Self.expectSkew(try ProbeLine(child.ask()), offset: 7200)
        // "Crash": nothing survives but the ledger bytes.
        let recovered = try JSONDecoder().decode(VDSOClockSkew.Undo.self, from: ledger)
        #expect(try VDSOClockSkew().revert(recovered).entries.map(\.outcome) == [.reverted])
        Self.expectSkew(try ProbeLine(child.ask()), offset: 0)
        // Crash between ledger write and apply: revert of a never-applied fault succeeds.
        #expect(try VDSOClockSkew().revert(recovered).entries.map(\.outcome) == [.alreadyReverted])
    }

    @Test("revert for a process that exited reports targetGone; prepare refuses a reused pid")
    func goneAndReused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let binary = try Fixtures.compileC("clockprobe.c", into: dir.path, output: "clockprobe")
        let child = try ChildProcess([binary, "0"], pipes: true)
        let identity = try child.identity
        let skew = VDSOClockSkew()
        let undo = try skew.prepare(.init(target: identity, offset: .seconds(60)))
        child.terminate()
        #expect(try skew.revert(undo).entries.map(\.outcome) == [.targetGone])
        let live = try ChildProcess([binary, "0"], pipes: true)
        defer { live.terminate() }
        let stale = ProcessIdentity(pid: live.pid, startTime: try live.identity.startTime &- 1)
        #expect(throws: ProcShimError.self) { try skew.prepare(.init(target: stale, offset: .seconds(60))) }
    }
}
