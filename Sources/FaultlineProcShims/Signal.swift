#if canImport(Glibc)
import Glibc
#endif

/// A POSIX signal number with its conventional name.
public struct Signal: Hashable, Sendable, Codable, CustomStringConvertible {
    public var number: Int32

    public init(_ number: Int32) { self.number = number }

    public static let hangup = Signal(SIGHUP)
    public static let interrupt = Signal(SIGINT)
    public static let quit = Signal(SIGQUIT)
    public static let kill = Signal(SIGKILL)
    public static let user1 = Signal(SIGUSR1)
    public static let user2 = Signal(SIGUSR2)
    public static let terminate = Signal(SIGTERM)
    public static let stop = Signal(SIGSTOP)
    public static let cont = Signal(SIGCONT)

    private static let names: [(String, Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP),
        ("ABRT", SIGABRT), ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL), ("USR1", SIGUSR1),
        ("SEGV", SIGSEGV), ("USR2", SIGUSR2), ("PIPE", SIGPIPE), ("ALRM", SIGALRM), ("TERM", SIGTERM),
        ("CHLD", SIGCHLD), ("CONT", SIGCONT), ("STOP", SIGSTOP), ("TSTP", SIGTSTP), ("TTIN", SIGTTIN),
        ("TTOU", SIGTTOU), ("URG", SIGURG), ("XCPU", SIGXCPU), ("XFSZ", SIGXFSZ), ("VTALRM", SIGVTALRM),
        ("PROF", SIGPROF), ("WINCH", SIGWINCH), ("IO", SIGIO), ("PWR", SIGPWR), ("SYS", SIGSYS),
    ]

    /// `TERM`, `SIGTERM`, `term` or `15`.
    public init?(name: String) {
        if let number = Int32(name), number > 0, number < 65 { self.number = number; return }
        var upper = name.uppercased()
        if upper.hasPrefix("SIG") { upper.removeFirst(3) }
        guard let match = Signal.names.first(where: { $0.0 == upper }) else { return nil }
        number = match.1
    }

    /// `SIGTERM`, or `signal 40` for unnamed (real-time) signals.
    public var description: String {
        if let match = Signal.names.first(where: { $0.1 == number }) { return "SIG" + match.0 }
        return "signal \(number)"
    }
}
