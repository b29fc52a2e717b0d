/// A client of a key-value store used as a set of independent registers, one per key.
///
/// One conformer per system under test. The recorder gives each client thread its own
/// instance, talking to one node; instances need not be thread-safe. Operations never
/// throw: every way an operation can end is a `RegisterReply`, because the recorder must
/// record each one.
public protocol RegisterClient: AnyObject {
    /// The node this client talks to, as named in the history.
    var node: String { get }
    /// False if the store offers no compare-and-set through this client; the recorder
    /// then issues only reads and writes.
    var supportsCAS: Bool { get }
    /// Reads `key`; `.ok(nil)` means the key is absent.
    func read(key: String, timeout: Duration) -> RegisterReply
    /// Sets `key` to `value`.
    func write(key: String, value: String, timeout: Duration) -> RegisterReply
    /// Sets `key` to `new` if it holds `expected` (`nil` = absent); `.casMismatch` if not.
    func cas(key: String, expected: String?, new: String, timeout: Duration) -> RegisterReply
    /// Closes connections; the client may be used again afterwards (it reconnects).
    func close()
}

/// How one register operation ended, from the client's point of view.
public enum RegisterReply: Sendable, Equatable {
    /// It took effect. For a read, the value returned (`nil` = absent); else `nil`.
    case ok(String?)
    /// A compare-and-set completed without swapping: the key did not hold the expected value.
    case casMismatch
    /// It definitely did not take effect: the request never left, or the server refused
    /// it before acting (e.g. a 4xx from an HTTP store).
    case notApplied(String)
    /// It may or may not have taken effect (timeout, reset, an error that may follow a
    /// partial commit).
    case indeterminate(String)

    /// The reply for a transport failure: `notSent` → `notApplied`, else `indeterminate`.
    public init(_ failure: RequestFailure) {
        switch failure {
        case .notSent(let reason): self = .notApplied(reason)
        case .noCompleteAnswer(let reason): self = .indeterminate(reason)
        }
    }
}

/// A node of the system under test: the name used in histories and where to reach it.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var host: String
    public var port: UInt16

    public init(name: String, host: String, port: UInt16) {
        self.name = name
        self.host = host
        self.port = port
    }

    public var description: String { "\(name) (\(host):\(port))" }
}
