#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The run's progress for a person at a terminal: phase, elapsed and time left, the faults
/// live on each host, each probe's state, redrawn in place once a second and on every
/// event. When the output is not a terminal, or `NO_COLOR` is set, or `TERM=dumb`, it
/// writes plain log lines instead (one per event, one per probe sample that changes
/// state), which is what a CI log or `tee` wants.
///
/// Hand it to the engine as its `RunObserver`; call `finish()` once the run is over (it
/// stops the redraw timer and leaves the last frame on screen). Writes never fail the run.
public final class LiveView: RunObserver, Sendable {
    public enum Mode: Sendable, Equatable {
        /// ANSI: redraw a frame in place, with color.
        case terminal
        /// One line per event, no escape sequences.
        case log
    }

    public let mode: Mode
    private let fd: Int32
    private struct Shared {
        var state: LiveViewState
        /// The clock reading and run time of the first record, so elapsed time keeps
        /// moving between events.
        var anchor: (clock: ContinuousClock.Instant, t: Double)?
        var drawnLines = 0
        var finished = false
    }
    private let shared: Mutex<Shared>
    /// Redraws once a second in terminal mode so the clock moves between events.
    private let ticker: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// - Parameters:
    ///   - fd: where to write (standard output by default); the view does not close it.
    ///   - mode: nil picks `.terminal` when `fd` is a terminal and neither `NO_COLOR`
    ///     (set and not empty, per no-color.org) nor `TERM=dumb` is in `environment`.
    ///   - plannedSeconds: the schedule's length, for "time left"; nil hides it.
    public init(title: String, hosts: [String], plannedSeconds: Double?, fd: Int32 = STDOUT_FILENO,
                mode: Mode? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.fd = fd
        self.mode = mode ?? Self.detectMode(fd: fd, environment: environment)
        shared = Mutex(Shared(state: LiveViewState(title: title, hosts: hosts, plannedSeconds: plannedSeconds)))
        if self.mode == .terminal {
            let task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    guard let self else { return }
                    self.redraw()
                }
            }
            ticker.withLock { $0 = task }
        }
    }

    deinit { ticker.withLock { $0?.cancel() } }

    public static func detectMode(fd: Int32, environment: [String: String]) -> Mode {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .log }
        if environment["TERM"] == "dumb" { return .log }
        return isatty(fd) == 1 ? .terminal : .log
    }

    public func record(_ event: JournalEvent) {
        let text: String? = shared.withLock { s in
            guard !s.finished else { return nil }
            if s.anchor == nil { s.anchor = (ContinuousClock.now, event.t) }
            let line = s.state.apply(event)
            return mode == .log ? line + "\n" : frameText(&s)
        }
        if let text { write(text) }
    }

    public func record(probe: String, _ sample: ProbeSample) {
        let text: String? = shared.withLock { s in
            guard !s.finished else { return nil }
            if s.anchor == nil { s.anchor = (ContinuousClock.now, sample.t) }
            let line = s.state.apply(probe: probe, sample)
            if mode == .log { return line.map { $0 + "\n" } }
            return frameText(&s)
        }
        if let text { write(text) }
    }

    /// Stops redrawing; the last frame (or log line) stays. Idempotent.
    public func finish() {
        ticker.withLock { $0?.cancel() }
        let text: String? = shared.withLock { s in
            guard !s.finished else { return nil }
            defer { s.finished = true }
            return mode == .terminal ? frameText(&s) : nil
        }
        if let text { write(text) }
    }

    private func redraw() {
        let text: String? = shared.withLock { s in s.finished || mode != .terminal ? nil : frameText(&s) }
        if let text { write(text) }
    }

    /// The escape sequences that move back over the last frame and clear it, then the new
    /// frame, each line cut to the terminal's width so no line wraps (a wrapped line would
    /// throw the count of lines to move up off).
    private func frameText(_ s: inout Shared) -> String {
        let elapsed: Double
        if let anchor = s.anchor {
            let since = ContinuousClock.now - anchor.clock
            elapsed = max(s.state.lastT, anchor.t + Double(since.components.seconds) + Double(since.components.attoseconds) / 1e18)
        } else {
            elapsed = s.state.lastT
        }
        let columns = Self.columns(fd)
        let lines = s.state.frame(elapsed: elapsed)
        var out = s.drawnLines > 0 ? "\r\u{1B}[\(s.drawnLines)A\u{1B}[J" : ""
        for line in lines { out += Self.ansi(line, columns: columns) + "\n" }
        s.drawnLines = lines.count
        return out
    }

    /// One frame line in ANSI, cut to `columns - 1` visible characters.
    static func ansi(_ line: LiveViewState.Line, columns: Int) -> String {
        var room = max(10, columns - 1)
        var out = ""
        for (text, style) in line where room > 0 {
            let piece = text.count > room ? String(text.prefix(max(0, room - 1))) + "…" : text
            room -= piece.count
            let code: String
            switch style {
            case .plain: code = ""
            case .bold: code = "1"
            case .dim: code = "2"
            case .ok: code = "32"
            case .fail: code = "1;31"
            case .warn: code = "33"
            }
            out += code.isEmpty ? piece : "\u{1B}[\(code)m" + piece + "\u{1B}[0m"
        }
        return out + "\u{1B}[K"
    }

    /// The terminal's width (TIOCGWINSZ), else `COLUMNS`, else 100.
    static func columns(_ fd: Int32) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}
