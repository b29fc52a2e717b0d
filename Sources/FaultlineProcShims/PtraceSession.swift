#if canImport(Glibc)
import Glibc
#endif
import CFaultlineProc

/// Every thread of one process stopped under ptrace, from seize to detach.
///
/// Why all threads: patching code that another thread may be executing corrupts it. The
/// session PTRACE_SEIZEs and PTRACE_INTERRUPTs each thread in /proc/PID/task, re-reading
/// the list until no new thread appears (a stopped thread cannot create one).
///
/// Thread affinity: ptrace binds a tracee to the tracer *thread*. Create, use and detach a
/// session on one thread, without suspension points in between (the clock mechanism does
/// all of it inside one synchronous call).
///
/// Signals: a thread may report a signal-delivery-stop (e.g. Go's SIGURG) instead of the
/// interrupt stop. Such signals are swallowed while stopped and re-raised with tgkill(2)
/// after detaching, so the target sees every signal it was sent.
final class PtraceSession {
    let pid: Int32
    private(set) var threads: [Int32] = []
    private var swallowedSignals: [(tid: Int32, signal: Int32)] = []
    private var detached = false
    private let stopTimeout: Duration

    init(pid: Int32, stopTimeout: Duration) throws(ProcShimError) {
        self.pid = pid
        self.stopTimeout = stopTimeout
        do {
            try attachAll()
        } catch {
            detach()
            throw error
        }
    }

    deinit { detach() }

    private func attachAll() throws(ProcShimError) {
        var seen: Set<Int32> = []
        while true {
            let listed = try ProcFS.threads(of: pid)
            let fresh = listed.filter { !seen.contains($0) }
            if fresh.isEmpty { break }
            // Interrupt every new thread first, then collect the stops, so the threads
            // stop in parallel instead of one after the other.
            var interrupted: [Int32] = []
            for tid in fresh {
                seen.insert(tid)
                if fl_ptrace(Int32(FL_PTRACE_SEIZE), tid, 0, 0) != 0 {
                    if errno == ESRCH { continue }  // the thread exited meanwhile
                    throw .lastErrno("ptrace(PTRACE_SEIZE)", "tid \(tid) of pid \(pid)")
                }
                threads.append(tid)
                if fl_ptrace(Int32(FL_PTRACE_INTERRUPT), tid, 0, 0) != 0 {
                    if errno == ESRCH { threads.removeAll { $0 == tid }; continue }
                    throw .lastErrno("ptrace(PTRACE_INTERRUPT)", "tid \(tid) of pid \(pid)")
                }
                interrupted.append(tid)
            }
            for tid in interrupted { try waitForStop(tid) }
        }
        guard !threads.isEmpty else { throw .processGone(pid: pid) }
    }

    /// Kinds of stop `waitForStop` can see.
    private enum Stop { case trap, event, signal(Int32), gone }

    /// Waits for the next stop of `tid`.
    ///
    /// `blocking`: a single step always traps after one instruction (Faultline never steps
    /// over a blocking system call), so wait in the kernel and wake the moment it stops.
    /// Otherwise (the first interrupt, which a thread in uninterruptible sleep may delay)
    /// poll with WNOHANG until `stopTimeout`. Polling never calls sched_yield: with busy
    /// target threads on few cores a yield hands the CPU away for a whole time slice.
    @discardableResult
    private func waitForStop(_ tid: Int32, blocking: Bool = false) throws(ProcShimError) -> Stop {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: stopTimeout)
        var status: Int32 = 0
        var polls = 0
        while true {
            let result = fl_waitpid_all(tid, &status, blocking ? 0 : 1)
            if result == tid { break }
            if result < 0 {
                if errno == EINTR { continue }
                throw .lastErrno("waitpid(__WALL)", "tid \(tid) of pid \(pid)")
            }
            if clock.now >= deadline {
                throw .timedOut(what: "ptrace stop of tid \(tid) of pid \(pid)", after: stopTimeout)
            }
            polls += 1
            if polls > 20 { usleep(20) }
        }
        if fl_wifexited(status) != 0 || fl_wifsignaled(status) != 0 {
            threads.removeAll { $0 == tid }
            return .gone
        }
        let signal = fl_wstopsig(status)
        if fl_wptrace_event(status) == Int32(FL_PTRACE_EVENT_STOP) { return .event }
        if signal == SIGTRAP { return .trap }
        swallowedSignals.append((tid, signal))
        return .signal(signal)
    }

    func registers(_ tid: Int32) throws(ProcShimError) -> fl_regs {
        var regs = fl_regs()
        guard fl_ptrace_getregs(tid, &regs) == 0 else {
            throw .lastErrno("ptrace(PTRACE_GETREGS)", "tid \(tid) of pid \(pid)")
        }
        return regs
    }

    func setRegisters(_ tid: Int32, _ regs: fl_regs) throws(ProcShimError) {
        var copy = regs
        guard fl_ptrace_setregs(tid, &copy) == 0 else {
            throw .lastErrno("ptrace(PTRACE_SETREGS)", "tid \(tid) of pid \(pid)")
        }
    }

    /// Executes exactly one instruction of `tid`. A pending interrupt trap or another
    /// signal may be reported first; those do not execute anything, so step again.
    func singleStep(_ tid: Int32) throws(ProcShimError) {
        for _ in 0..<16 {
            guard fl_ptrace(Int32(FL_PTRACE_SINGLESTEP), tid, 0, 0) == 0 else {
                throw .lastErrno("ptrace(PTRACE_SINGLESTEP)", "tid \(tid) of pid \(pid)")
            }
            switch try waitForStop(tid, blocking: true) {
            case .trap: return
            case .gone: throw .processGone(pid: pid)
            case .event, .signal: continue
            }
        }
        throw .conflict("tid \(tid) of pid \(pid) did not complete a single step in 16 attempts")
    }

    /// Single-steps every thread whose instruction pointer lies in one of `ranges` until
    /// it leaves them, so no thread is inside code that is about to be rewritten. Threads
    /// still inside are stepped together, one instruction per round, so they progress in
    /// parallel on several cores.
    func moveThreads(outOf ranges: [Range<UInt64>], maxSteps: Int = 100_000) throws(ProcShimError) {
        func inside(_ tid: Int32) throws(ProcShimError) -> Bool {
            let rip = try registers(tid).rip
            return ranges.contains { $0.contains(rip) }
        }
        var pending: [Int32] = []
        for tid in threads where try inside(tid) { pending.append(tid) }
        var rounds = 0
        while !pending.isEmpty {
            guard rounds < maxSteps else {
                throw .conflict("threads \(pending) of pid \(pid) still inside patched code after \(maxSteps) steps")
            }
            rounds += 1
            for tid in pending {
                guard fl_ptrace(Int32(FL_PTRACE_SINGLESTEP), tid, 0, 0) == 0 else {
                    throw .lastErrno("ptrace(PTRACE_SINGLESTEP)", "tid \(tid) of pid \(pid)")
                }
            }
            var still: [Int32] = []
            for tid in pending {
                // A trap means one instruction ran; an interrupt or signal stop means none
                // did. Either way the thread is stopped again; re-check where it is.
                if case .gone = try waitForStop(tid, blocking: true) { continue }
                if try inside(tid) { still.append(tid) }
            }
            pending = still
        }
    }

    /// Runs one system call in the target on thread `tid`: saves its registers, points
    /// it at an existing `syscall` instruction (`syscallAddress`, e.g. inside the vDSO)
    /// with the call's number and arguments, steps over it, and restores the registers.
    ///
    /// `orig_rax` is set to -1 so that, if the thread was stopped inside an interrupted
    /// system call, the kernel does not apply its restart logic to the injected call; the
    /// restored registers then restart the original call as usual.
    /// Returns the raw result (negative errno on failure).
    func injectSyscall(tid: Int32, number: UInt64, arguments: [UInt64], syscallAddress: UInt64)
        throws(ProcShimError) -> Int64
    {
        let saved = try registers(tid)
        var regs = saved
        regs.rax = number
        regs.orig_rax = UInt64.max
        let args = arguments + Array(repeating: 0, count: max(0, 6 - arguments.count))
        regs.rdi = args[0]; regs.rsi = args[1]; regs.rdx = args[2]
        regs.r10 = args[3]; regs.r8 = args[4]; regs.r9 = args[5]
        regs.rip = syscallAddress
        try setRegisters(tid, regs)
        var restored = false
        defer { if !restored { try? setRegisters(tid, saved) } }
        try singleStep(tid)
        let after = try registers(tid)
        try setRegisters(tid, saved)
        restored = true
        guard after.rip == syscallAddress + 2 else {
            throw .conflict("injected syscall \(number) in pid \(pid) stopped at 0x\(String(after.rip, radix: 16)), expected 0x\(String(syscallAddress + 2, radix: 16))")
        }
        return Int64(bitPattern: after.rax)
    }

    /// A thread suitable for injecting system calls (registers readable).
    func injectionThread() throws(ProcShimError) -> Int32 {
        for tid in threads where (try? registers(tid)) != nil { return tid }
        throw .conflict("no thread of pid \(pid) has readable registers")
    }

    /// Detaches from every thread (they resume) and re-raises swallowed signals.
    func detach() {
        guard !detached else { return }
        detached = true
        for tid in threads { _ = fl_ptrace(Int32(FL_PTRACE_DETACH), tid, 0, 0) }
        for (tid, signal) in swallowedSignals { _ = fl_tgkill(pid, tid, signal) }
    }
}
