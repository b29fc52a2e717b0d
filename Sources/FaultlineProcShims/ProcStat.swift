/// The fields of /proc/PID/stat that Faultline uses, parsed without I/O.
///
/// The command name (field 2) is in parentheses and may itself contain spaces and ')',
/// so fields are counted from the LAST ')' (proc(5)).
public struct ProcStat: Equatable, Sendable {
    public var pid: Int32
    /// Field 2 without the parentheses (the kernel's `comm`, at most 15 bytes).
    public var comm: String
    /// Field 3: R, S, D, T (stopped), t (tracing stop), Z (zombie), X, I, ...
    public var state: Character
    /// Field 4.
    public var parentPid: Int32
    /// Field 9 (`PF_*` flags).
    public var flags: UInt64
    /// Field 22: start time in clock ticks after boot.
    public var startTime: UInt64

    /// `PF_KTHREAD`: kernel threads are never selected.
    public var isKernelThread: Bool { flags & 0x0020_0000 != 0 }
    public var isZombie: Bool { state == "Z" || state == "X" }
    /// Stopped by a signal (SIGSTOP) — not a ptrace stop.
    public var isStopped: Bool { state == "T" }

    /// Parses the text of /proc/PID/stat.
    public static func parse(_ text: String) throws(ProcShimError) -> ProcStat {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else {
            throw .malformed(what: "/proc/PID/stat", detail: "no (comm) in \(text.prefix(80))")
        }
        guard let pid = Int32(text[..<open].trimmingSpaces) else {
            throw .malformed(what: "/proc/PID/stat", detail: "pid field in \(text.prefix(80))")
        }
        let comm = String(text[text.index(after: open)..<close])
        // rest[0] is field 3 (state), rest[k] is field k + 3.
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard rest.count >= 20, let state = rest[0].first,
              let parent = Int32(rest[1]), let flags = UInt64(rest[6]), let start = UInt64(rest[19])
        else {
            throw .malformed(what: "/proc/PID/stat", detail: "expected ≥ 22 fields in \(text.prefix(120))")
        }
        return ProcStat(pid: pid, comm: comm, state: state, parentPid: parent, flags: flags, startTime: start)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\n" || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" { s.removeLast() }
        return s
    }
}

extension String {
    var trimmingSpaces: String { String(self[...].trimmingSpaces) }
}
