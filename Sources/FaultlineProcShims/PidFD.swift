#if canImport(Glibc)
import Glibc
#endif
import CFaultlineProc

/// A pidfd (pidfd_open(2)): a handle to one process that survives pid reuse.
///
/// Signals sent through a pidfd reach the process it was opened for or nobody
/// (ESRCH once that process has been reaped), never a newcomer with the same pid.
/// `open(_ identity:)` opens first and checks the start time second, so the handle is
/// known to name the selected process: if the pid had been reused before the open, the
/// start time differs and the open is refused.
public final class PidFD: Sendable {
    public let pid: Int32
    public let descriptor: Int32

    private init(pid: Int32, descriptor: Int32) {
        self.pid = pid
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Opens a pidfd for `pid` without identity check (use `open(_:)` for selected processes).
    public static func open(pid: Int32) throws(ProcShimError) -> PidFD {
        let fd = fl_pidfd_open(pid, 0)
        guard fd >= 0 else {
            if errno == ESRCH { throw .processGone(pid: pid) }
            throw .lastErrno("pidfd_open", "pid \(pid)")
        }
        // pidfd_open always sets O_CLOEXEC.
        return PidFD(pid: pid, descriptor: fd)
    }

    /// Opens a pidfd and proves it names `identity` (start time unchanged).
    public static func open(_ identity: ProcessIdentity) throws(ProcShimError) -> PidFD {
        let handle = try open(pid: identity.pid)
        _ = try ProcFS.verify(identity)
        return handle
    }

    /// pidfd_send_signal(2). ESRCH means the process exited and was reaped.
    public func send(_ signal: Signal) throws(ProcShimError) {
        guard fl_pidfd_send_signal(descriptor, signal.number) == 0 else {
            throw .lastErrno("pidfd_send_signal", "pid \(pid), \(signal)")
        }
    }

    /// Waits until the process has exited (a zombie counts: the pidfd turns readable as
    /// soon as the process exits, before anyone reaps it). Returns false on timeout.
    public func waitForExit(timeout: Duration) throws(ProcShimError) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let remaining = clock.now.duration(to: deadline)
            let millis = max(0, Int32(clamping: remaining.milliseconds))
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, millis)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .lastErrno("poll", "pidfd of pid \(pid)")
            }
            if ready > 0 { return true }
            if clock.now >= deadline { return false }
        }
    }

    /// Non-blocking: has the process exited?
    public func hasExited() throws(ProcShimError) -> Bool {
        try waitForExit(timeout: .zero)
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a short positive wait never becomes zero.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 > 0 ? millis + 1 : millis
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
