#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import FaultlineController

/// The live view: the log lines and the terminal frame from a run's events, and the choice
/// between them on a real pipe and a real pseudo-terminal, with and without NO_COLOR.
struct RenderLiveViewTests {
    /// The deviated run's events and samples merged in time order, as the engine sends them.
    static func feed(_ journal: Journal) -> [(t: Double, event: JournalEvent?, probe: String?, sample: ProbeSample?)] {
        var items: [(t: Double, event: JournalEvent?, probe: String?, sample: ProbeSample?)] = journal.events.map { ($0.t, $0, nil, nil) }
        for p in journal.probes { for s in p.samples { items.append((s.t, nil, p.name, s)) } }
        return items.enumerated().sorted { ($0.element.t, $0.offset) < ($1.element.t, $1.offset) }.map(\.element)
    }

    @Test func logLinesSayWhatHappened() {
        let journal = RenderFixtures.deviated()
        var state = LiveViewState(title: journal.plan.title, hosts: RenderFixtures.hostNames, plannedSeconds: 36)
        var lines: [String] = []
        for item in Self.feed(journal) {
            if let e = item.event { lines.append(state.apply(e)) }
            if let p = item.probe, let s = item.sample, let line = state.apply(probe: p, s) { lines.append(line) }
        }
        #expect(lines.first == "[t+0.000s] phase preflight")
        #expect(lines.contains("[t+2.100s] fault-applied n1: partition (peers 10.77.0.12,10.77.0.13) (f-0001)"))
        #expect(lines.contains("[t+28.110s] probe every member healthy on n2: FAILED — status 503, expected 200"))
        #expect(lines.contains("[t+19.000s] probe write latency p99: FAILED — 500 ms, expected below 500"))
        // Steady samples are not repeated: the guard, always passing, logs once.
        #expect(lines.filter { $0.contains("probe error rate below 5%") }.count == 1)
        // A change back to passing is logged.
        #expect(lines.contains { $0.hasPrefix("[t+27.000s] probe write latency p99: ok") })
        #expect(lines.last == "[t+36.000s] phase done: done: deviated")
        #expect(!lines.contains { $0.unicodeScalars.contains { $0.value < 0x20 } })
    }

    @Test func frameShowsPhaseTimeLeftFaultsPerHostAndProbes() {
        let journal = RenderFixtures.deviated()
        var state = LiveViewState(title: journal.plan.title, hosts: RenderFixtures.hostNames, plannedSeconds: 36)
        for item in Self.feed(journal) where item.t <= 20 {
            if let e = item.event { state.apply(e) }
            if let p = item.probe, let s = item.sample { _ = state.apply(probe: p, s) }
        }
        let text = state.frame(elapsed: 20.4).map { $0.map(\.text).joined() }
        #expect(text[0] == "faultline ▸ etcd keeps serving linearizable writes when its leader is cut off")
        #expect(text[1] == "phase method  elapsed 00:20  left 00:15  [███████████░░░░░░░░░]")
        #expect(text[2] == "faults")
        #expect(text[3] == "  n1    partition (peers 10.77.0.12,10.77.0.13); latency 100ms ±10ms")
        #expect(text[4] == "  n2    latency 100ms ±10ms")
        // The kill is instantaneous but the engine reports it applied; it stays until reverted or the run ends.
        #expect(text[5].hasPrefix("  n3    latency 100ms ±10ms"))
        #expect(text.contains("  ✗ write latency p99  1/9 failed  500 ms, expected below 500"))
        #expect(text.contains("  ✓ every member healthy on n2  status 200"))
        #expect(text.last == "last  [t+14.000s] fault-failed n2: pause pid 4242: no such process (f-0006)")
        // Done early: no time left is shown.
        state.apply(RenderFixtures.event(21, .phase, "done", phase: .done))
        #expect(state.frame(elapsed: 21).map { $0.map(\.text).joined() }[1] == "phase done  elapsed 00:21")
    }

    @Test func hostileTextCannotEscapeIntoTheTerminal() {
        var state = LiveViewState(title: RenderFixtures.hostile, hosts: ["n1"], plannedSeconds: nil)
        let line = state.apply(RenderFixtures.event(1, .note, RenderFixtures.hostile, host: "n1"))
        #expect(!line.unicodeScalars.contains { Markup.isForbidden($0) })
        let ansi = state.frame(elapsed: 1).map { LiveView.ansi($0, columns: 80) }
        // The only escapes are our own SGR and erase-line sequences.
        for text in ansi {
            let stripped = text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*[mK]", with: "", options: .regularExpression)
            #expect(!stripped.unicodeScalars.contains { Markup.isForbidden($0) }, "\(stripped.debugDescription)")
            #expect(stripped.count <= 79)
        }
    }

    @Test func pipeGetsPlainLogLines() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let view = LiveView(title: "t", hosts: ["n1"], plannedSeconds: 10, fd: fds[1], environment: [:])
        #expect(view.mode == LiveView.Mode.log)
        view.record(RenderFixtures.event(0.5, .phase, "method", phase: .method))
        view.record(probe: "p", RenderFixtures.sample(1, .method, host: "n1", ok: false, value: 3, "3, expected 0"))
        view.finish()
        let text = Self.drain(fds[0])
        #expect(text == "[t+0.500s] phase method\n[t+1.000s] probe p on n1: FAILED — 3, expected 0\n")
    }

    @Test func terminalIsRedrawnInPlaceUnlessNoColor() throws {
        let pty = try PseudoTerminal.functions()
        let master = pty.openpt(O_RDWR | O_NOCTTY)
        #expect(master >= 0, "posix_openpt: \(String(cString: strerror(errno)))")
        guard master >= 0 else { return }
        defer { close(master) }
        #expect(pty.grantpt(master) == 0 && pty.unlockpt(master) == 0)
        guard let name = pty.ptsname(master) else { Issue.record("ptsname failed"); return }
        let slave = open(String(cString: name), O_RDWR | O_NOCTTY)
        #expect(slave >= 0, "open \(String(cString: name)): \(String(cString: strerror(errno)))")
        guard slave >= 0 else { return }
        defer { close(slave) }
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)

        let plain = LiveView(title: "t", hosts: ["n1"], plannedSeconds: 10, fd: slave, environment: ["NO_COLOR": "1", "TERM": "xterm"])
        #expect(plain.mode == LiveView.Mode.log)
        #expect(LiveView.detectMode(fd: slave, environment: ["TERM": "dumb"]) == LiveView.Mode.log)
        #expect(LiveView.detectMode(fd: slave, environment: ["NO_COLOR": "", "TERM": "xterm"]) == LiveView.Mode.terminal)

        let view = LiveView(title: "t", hosts: ["n1"], plannedSeconds: 10, fd: slave, environment: ["TERM": "xterm"])
        #expect(view.mode == LiveView.Mode.terminal)
        view.record(RenderFixtures.event(0.5, .phase, "method", phase: .method))
        let first = Self.drain(master)
        view.record(RenderFixtures.event(1, .faultApplied, "latency 100ms", host: "n1", faultID: "f-1"))
        let second = Self.drain(master)
        view.finish()
        _ = Self.drain(master)
        #expect(first.contains("\u{1B}[1mmethod\u{1B}[0m"), "\(first.debugDescription)")
        #expect(!first.contains("\u{1B}[J"), "the first frame has nothing to erase")
        let lines = first.components(separatedBy: "\r\n").count - 1
        #expect(second.hasPrefix("\r\u{1B}[\(lines)A\u{1B}[J"), "not redrawn in place: \(second.debugDescription)")
        #expect(second.contains("\u{1B}[33mlatency 100ms\u{1B}[0m"))
    }

    /// Everything readable now from a descriptor (a pipe's or a pty master's).
    static func drain(_ fd: Int32) -> String {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// glibc's pseudo-terminal calls, which Swift's Glibc module leaves out (they need
/// _XOPEN_SOURCE); looked up by name.
enum PseudoTerminal {
    struct Functions {
        var openpt: @convention(c) (Int32) -> Int32
        var grantpt: @convention(c) (Int32) -> Int32
        var unlockpt: @convention(c) (Int32) -> Int32
        var ptsname: @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
    }
    static func functions() throws -> Functions {
        func find<T>(_ name: String, _: T.Type) throws -> T {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { throw RenderSupport.Failure("glibc has no \(name)") }
            return unsafeBitCast(symbol, to: T.self)
        }
        return Functions(openpt: try find("posix_openpt", (@convention(c) (Int32) -> Int32).self),
                         grantpt: try find("grantpt", (@convention(c) (Int32) -> Int32).self),
                         unlockpt: try find("unlockpt", (@convention(c) (Int32) -> Int32).self),
                         ptsname: try find("ptsname", (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self))
    }
}
