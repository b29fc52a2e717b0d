#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Strobe mode of the process-scope clock skew: alternates the applied offset between two
/// values at a fixed interval, so the target sees its clock jump back and forth.
///
/// Runs on a helper thread of the agent that rewrites the 24-byte offset words of the
/// trampoline page through /proc/PID/mem; the target keeps running (no ptrace stop).
/// Apply the skew first (`VDSOClockSkew.apply`), start the strobe, `stop()` it before
/// `revert`. The strobe holds no state the ledger needs: the skew's `Undo` still reverts
/// everything, also if the agent dies mid-strobe.
///
/// The three words are written in one pwrite but not atomically with respect to a reader
/// on another CPU; a reading taken during the write may mix the seconds of one offset with
/// the sub-second part of the other (at most 1 s off, for one call).
public final class ClockSkewStrobe: Sendable {
    private let state = Mutex<(stop: Bool, joined: Bool, flips: Int, error: ProcShimError?)>((false, false, 0, nil))
    private let finished = DispatchSemaphore(value: 0)

    private init() {}

    /// Starts alternating: `offsets.0` is written first, then `offsets.1` after `interval`, and so on.
    public static func start(undo: VDSOClockSkew.Undo, offsets: (Duration, Duration), interval: Duration)
        throws(ProcShimError) -> ClockSkewStrobe
    {
        guard interval >= .milliseconds(1) else { throw .invalidSpec("strobe interval \(interval) is below 1 ms") }
        let memory = try ProcessMemory(pid: undo.target.pid)
        let page = try VDSOClockSkew.trampolinePage(memory, undo)
        let strobe = ClockSkewStrobe()
        let values = [offsets.0, offsets.1]
        let thread = Thread {
            var index = 0
            while !strobe.state.withLock({ $0.stop }) {
                do {
                    try VDSOClockSkew.writeOffset(memory, page: page, values[index % 2])
                    strobe.state.withLock { $0.flips += 1 }
                } catch {
                    let failure = error as? ProcShimError ?? .conflict("\(error)")
                    strobe.state.withLock { $0.error = failure; $0.stop = true }
                    break
                }
                index += 1
                var pause = timespec(tv_sec: Int(interval.components.seconds),
                                     tv_nsec: Int(interval.components.attoseconds / 1_000_000_000))
                var left = timespec()
                while nanosleep(&pause, &left) != 0 && errno == EINTR { pause = left }
            }
            strobe.finished.signal()
        }
        thread.name = "faultline-clock-strobe-\(undo.target.pid)"
        thread.start()
        return strobe
    }

    /// Stops the helper thread and waits for it; returns how many times the offset was
    /// written. The last written offset stays applied until `VDSOClockSkew.revert`.
    @discardableResult
    public func stop() -> Int {
        let mustJoin = state.withLock { s -> Bool in
            s.stop = true
            defer { s.joined = true }
            return !s.joined
        }
        if mustJoin { finished.wait() }
        return state.withLock { $0.flips }
    }

    /// The error that ended the strobe early (target exited, skew reverted), if any.
    public var failure: ProcShimError? { state.withLock { $0.error } }
}
