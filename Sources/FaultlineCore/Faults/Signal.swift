/// A POSIX signal by name, as in kill(1): `KILL`, `TERM`, `SIGINT`, … (x86_64 Linux numbers).
public struct Signal: Hashable, Sendable, Codable, CustomStringConvertible {
    public var number: Int32

    /// Linux signal numbers on x86_64 (signal(7)).
    public static let byName: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
        "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16,
        "CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23,
        "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31,
    ]
    public static let kill = Signal(number: 9)
    public static let term = Signal(number: 15)

    public init(number: Int32) { self.number = number }

    public init?(name: String) {
        var n = name.uppercased()
        if n.hasPrefix("SIG") { n.removeFirst(3) }
        if let v = Signal.byName[n] { number = v; return }
        if let v = Int32(name), (1...64).contains(v) { number = v; return }
        return nil
    }

    public var name: String { Signal.byName.first { $0.value == number }.map { "SIG" + $0.key } ?? "signal \(number)" }
    public var description: String { name }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int32.self), (1...64).contains(n) { number = n; return }
        let text = try c.decode(String.self)
        guard let s = Signal(name: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a signal name"))
        }
        self = s
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(String(name.dropFirst(3)))
    }
}
