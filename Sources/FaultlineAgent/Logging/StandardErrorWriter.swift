#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Hands log lines to one writer thread that `write(2)`s them to a descriptor (stderr).
///
/// Why not write from the caller: a log line is written by whoever logs it, and that
/// includes the lease reaper, whose revert must happen within 1 s of a lease's expiry.
/// stderr is a pipe to journald (or a terminal, or `kubectl logs`); when its reader
/// stalls, the pipe fills and a `write(2)` blocks, which would stall the reaper with it.
/// So a caller only appends to a bounded buffer under a lock (no I/O); when the buffer is
/// full the line is dropped and counted, and the writer reports the count once the pipe
/// drains ("N log lines dropped"). Losing log lines beats holding a fault past its lease.
/// The ledger, not the log, is what recovery relies on.
public final class StandardErrorWriter: @unchecked Sendable {
    /// The agent's stderr, with a 1 MiB buffer (thousands of lines: a burst of refused
    /// connections is throttled to one line a second per kind before it gets here).
    public static let standardError = StandardErrorWriter(descriptor: 2, capacity: 1 << 20)

    let descriptor: Int32
    let capacity: Int
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var dropped = 0
    private var writing = false
    private var started = false

    init(descriptor: Int32, capacity: Int) {
        self.descriptor = descriptor
        self.capacity = capacity
    }

    /// Queues `line` (which ends with a newline); never waits for I/O.
    public func write(_ line: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        if !started { startThread() }
        guard pending.count + line.count <= capacity else { dropped += 1; return }
        pending += line
        condition.signal()
    }

    /// Waits until what is queued has been written, at most `timeout` seconds: before the
    /// process exits, so its last lines (the shutdown's reverts) are not lost.
    public func flush(timeout: TimeInterval = 2) {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while started && (!pending.isEmpty || writing) {
            if !condition.wait(until: deadline) { return }
        }
    }

    private func startThread() {
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "faultline-log-writer"
        thread.start()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && dropped == 0 { condition.wait() }
            var chunk = pending
            pending.removeAll(keepingCapacity: true)
            if dropped > 0 {
                chunk += Array("\(dropped) log line(s) dropped: stderr was not being read fast enough\n".utf8)
                dropped = 0
            }
            writing = true
            condition.unlock()
            writeAll(chunk)
            condition.lock()
            writing = false
            condition.broadcast()  // wakes flush()
            condition.unlock()
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}
