// procshims-bench: time to apply and revert each process/clock fault on real processes.
//
// Usage: procshims-bench [runs-multiplier]   (run as root; never touches the host clock)
// Prints a Markdown table of p50/p99/max per operation. Fixture C programs are compiled
// from Tests/Fixtures/procshims into a temp dir with cc.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import FaultlineProcShims

// MARK: - child processes

/// A child started with posix_spawn (empty signal mask, default dispositions).
final class Child {
    let pid: Int32
    private var input: Int32 = -1
    private var output: Int32 = -1

    init(_ argv: [String], pipes: Bool = false) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        if pipes {
            _ = pipe(&inPipe); _ = pipe(&outPipe)
            for fd in inPipe + outPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty); sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let args = argv.map { strdup($0) } + [nil]
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, args, environ)
        precondition(rc == 0, "posix_spawn \(argv[0]): \(rc)")
        args.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        if pipes { close(inPipe[0]); close(outPipe[1]); input = inPipe[1]; output = outPipe[0] }
        self.pid = pid
        // Wait until exec finished (vDSO mapped).
        for _ in 0..<2000 {
            if let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8), maps.contains("[vdso]") { break }
            usleep(1000)
        }
    }

    func ask(_ line: String) -> String {
        let bytes = Array((line + "\n").utf8)
        _ = write(input, bytes, bytes.count)
        var result: [UInt8] = []
        var byte: UInt8 = 0
        while read(output, &byte, 1) == 1 && byte != UInt8(ascii: "\n") { result.append(byte) }
        return String(decoding: result, as: UTF8.self)
    }

    var identity: ProcessIdentity { try! ProcFS.identity(of: pid) }

    func reap() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    func stop() {
        kill(pid, SIGKILL); kill(pid, SIGCONT)
        reap()
        if input >= 0 { close(input); close(output) }
    }
}

// MARK: - measurement

struct Samples {
    var name: String
    var nanos: [Double] = []

    mutating func time<T>(_ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        let value = try body()
        let elapsed = ContinuousClock.now - start
        nanos.append(Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
        return value
    }

    func row() -> String {
        let sorted = nanos.sorted()
        func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
        func ms(_ v: Double) -> String { String(format: "%.3f", v / 1e6) }
        return "| \(name) | \(sorted.count) | \(ms(pct(0.5))) | \(ms(pct(0.99))) | \(ms(sorted.last ?? 0)) |"
    }
}

let multiplier = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1 : 1
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/procshims").path
let work = "/tmp/fl-psbench-\(getpid())"
mkdir(work, 0o755)
defer { _ = try? FileManager.default.removeItem(atPath: work) }

func compile(_ source: String, _ output: String) -> String {
    let child = Child(["/usr/bin/cc", "-O1", "-pthread", fixtures + "/" + source, "-o", work + "/" + output])
    child.reap()
    return work + "/" + output
}

let ticker = compile("ticker.c", "ticker")
let clockprobe = compile("clockprobe.c", "clockprobe")
var rows: [String] = []
var notes: [String] = []

// kill + confirm exit through the pidfd
do {
    var samples = Samples(name: "kill SIGKILL + exit seen on pidfd")
    let mechanism = KillFault()
    for _ in 0..<(200 * multiplier) {
        let child = Child(["/bin/sleep", "30"])
        let spec = KillFault.Spec(targets: [child.identity], signal: .kill, waitForExit: .seconds(5))
        let undo = try mechanism.prepare(spec)
        let applied = try samples.time { try mechanism.apply(spec, undo: undo) }
        precondition(applied.outcomes.values.allSatisfy { $0 == .exited })
        child.reap()
    }
    rows.append(samples.row())
}

// SIGSTOP pause (until state T) / SIGCONT resume
do {
    let child = Child([ticker, work + "/pause", "0"])
    defer { child.stop() }
    var apply = Samples(name: "pause SIGSTOP apply (until state T)")
    var revert = Samples(name: "pause SIGCONT revert")
    let mechanism = SignalPause()
    let spec = SignalPause.Spec(targets: [child.identity])
    let undo = try mechanism.prepare(spec)
    for _ in 0..<(500 * multiplier) {
        _ = try apply.time { try mechanism.apply(spec, undo: undo) }
        let report = try revert.time { try mechanism.revert(undo) }
        precondition(report.didRevert)
    }
    rows += [apply.row(), revert.row()]
}

// cgroup v2 freeze / thaw of a 4-process tree
if let unified = try CgroupMounts.current().unified {
    let name = "fl-psbench-\(getpid())"
    let directory = unified.mountPoint + "/" + name
    mkdir(directory, 0o755)
    let child = Child(["/bin/sh", "-c", "echo $$ > \(directory)/cgroup.procs && exec \(ticker) \(work)/freeze 3"])
    usleep(100_000)
    var apply = Samples(name: "cgroup v2 freeze, 4 processes (until frozen 1)")
    var revert = Samples(name: "cgroup v2 thaw, 4 processes (until frozen 0)")
    let mechanism = CgroupFreezePause()
    let spec = CgroupFreezePause.Spec(cgroup: (unified.root == "/" ? "" : unified.root) + "/" + name)
    let undo = try mechanism.prepare(spec)
    for _ in 0..<(300 * multiplier) {
        _ = try apply.time { try mechanism.apply(spec, undo: undo) }
        _ = try revert.time { try mechanism.revert(undo) }
    }
    rows += [apply.row(), revert.row()]
    child.stop()
    for _ in 0..<200 where rmdir(directory) != 0 { usleep(10_000) }
}

// vDSO clock skew apply / revert
for threads in [0, 4] {
    let child = Child([clockprobe, "\(threads)"], pipes: true)
    defer { child.stop() }
    var prepare = Samples(name: "clock skew prepare (\(threads + 1) threads)")
    var apply = Samples(name: "clock skew apply (\(threads + 1) threads)")
    var revert = Samples(name: "clock skew revert (\(threads + 1) threads)")
    let mechanism = VDSOClockSkew()
    let spec = VDSOClockSkew.Spec(target: child.identity, offset: .seconds(3600))
    for _ in 0..<(200 * multiplier) {
        let undo = try prepare.time { try mechanism.prepare(spec) }
        _ = try apply.time { try mechanism.apply(spec, undo: undo) }
        let report = try revert.time { try mechanism.revert(undo) }
        precondition(report.didRevert)
    }
    rows += [prepare.row(), apply.row(), revert.row()]
    if threads == 0 {
        let plain = child.ask("b")
        let undo = try mechanism.prepare(spec)
        _ = try mechanism.apply(spec, undo: undo)
        let skewed = child.ask("b")
        _ = try mechanism.revert(undo)
        notes.append("clock_gettime(CLOCK_REALTIME) in the target: \(plain) ns/call unpatched (vDSO), \(skewed) ns/call while skewed (trampoline + syscall)")
    }
}

// selection: scan /proc by name
do {
    var samples = Samples(name: "select by name (scan of /proc, \((try? ProcFS.pids().count) ?? 0) processes)")
    for _ in 0..<(50 * multiplier) { _ = try samples.time { try ProcessSelection.resolve(.name("fl-no-such-proc")) } }
    rows.append(samples.row())
}

print("| operation | runs | p50 ms | p99 ms | max ms |")
print("|---|---|---|---|---|")
rows.forEach { print($0) }
print("")
notes.forEach { print("- " + $0) }
