/// One operation a client performed against the system under test, as recorded.
///
/// Times are monotonic nanoseconds on one clock shared by all clients of a history
/// (the recorder's). Intervals are closed: an operation invoked at the same instant
/// another completes is concurrent with it.
///
/// Values are strings: register values, key-value values and compare-and-set operands
/// alike. `nil` means "absent" (a key never written, or read as missing).
public struct Operation: Sendable, Equatable {
    /// The client (Jepsen "process") that issued the operation. Each client has at most
    /// one operation outstanding.
    public var client: Int
    public var kind: OperationKind
    /// The key the operation addresses; `""` for a history of one single register.
    public var key: String
    /// read/get: the value returned (`nil` = absent). write/put, append: the value written.
    /// cas: the new value.
    public var value: String?
    /// cas only: the value compared against (`nil` = absent).
    public var expected: String?
    public var outcome: Outcome
    /// When the client sent the request, monotonic ns.
    public var invoke: UInt64
    /// When the client saw the reply, monotonic ns. `nil` for `.info` operations whose
    /// client never learnt the result; an `.info` operation may carry the time its client
    /// gave up, but the checkers treat its completion as unknown either way.
    public var completion: UInt64?
    /// The node (server) the client talked to, if known; used by the convergence check.
    public var node: String?
    /// True for the reads a recorder issues after healing, one per node and key, to check
    /// convergence. They are ordinary reads for the other checks.
    public var isFinalRead: Bool
    /// The line of the source file the operation came from (its invocation line where the
    /// format has one line per event), for explanations and errors.
    public var line: Int?

    public init(client: Int, kind: OperationKind, key: String = "", value: String? = nil,
                expected: String? = nil, outcome: Outcome, invoke: UInt64, completion: UInt64?,
                node: String? = nil, isFinalRead: Bool = false, line: Int? = nil) {
        self.client = client
        self.kind = kind
        self.key = key
        self.value = value
        self.expected = expected
        self.outcome = outcome
        self.invoke = invoke
        self.completion = completion
        self.node = node
        self.isFinalRead = isFinalRead
        self.line = line
    }

    /// The completion time the linearizability search uses: unknown completions
    /// (`.info`) are treated as "after everything else", as Knossos and Porcupine do.
    var effectiveCompletion: UInt64 {
        outcome == .info ? UInt64.max : (completion ?? UInt64.max)
    }
}

/// What an operation does. `get` and `put` of a key-value store are `read` and `write`.
public enum OperationKind: String, Sendable, CaseIterable {
    case read
    case write
    case cas
    case append
}

/// How an operation ended, in Jepsen's vocabulary.
public enum Outcome: String, Sendable, CaseIterable {
    /// It completed and took effect (a read returned `value`; a cas swapped).
    case ok
    /// It completed and definitely did not take effect. For a cas this is the answer
    /// "the register did not hold `expected`", which still constrains the history (the
    /// Jepsen convention, and Porcupine's); other failed operations are ignored.
    case fail
    /// Indeterminate: it may take effect at any point after its invocation, or never.
    case info
}

/// A recorded history: the operations of all clients, in any order.
public struct History: Sendable, Equatable {
    public var operations: [Operation]

    public init(operations: [Operation] = []) {
        self.operations = operations
    }

    public var isEmpty: Bool { operations.isEmpty }
}

extension Operation {
    /// A short human description, e.g. `client 3 cas(1 → 2) ok [120 ns, 480 ns]`.
    public var summary: String {
        var text = "client \(client) "
        let keyPart = key.isEmpty ? "" : "\"\(key)\" "
        switch kind {
        case .read: text += "read \(keyPart)→ \(Operation.show(value))"
        case .write: text += "write \(keyPart)\(Operation.show(value))"
        case .append: text += "append \(keyPart)\(Operation.show(value))"
        case .cas: text += "cas \(keyPart)\(Operation.show(expected)) → \(Operation.show(value))"
        }
        switch outcome {
        case .ok: text += kind == .cas ? " ok" : ""
        case .fail: text += " failed"
        case .info: text += " (outcome unknown)"
        }
        let end = outcome == .info ? "?" : completion.map { "\($0)" } ?? "?"
        text += " [\(invoke), \(end)]"
        if let line { text += " (line \(line))" }
        return text
    }

    static func show(_ value: String?) -> String {
        guard let value else { return "nil" }
        return "\"\(value)\""
    }
}
