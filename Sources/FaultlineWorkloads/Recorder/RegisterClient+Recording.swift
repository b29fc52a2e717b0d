import FaultlineChecker

/// One operation to perform: its kind, key and operands.
struct PlannedOperation {
    var kind: OperationKind
    var key: String
    /// write, cas: the value to write.
    var value: String?
    /// cas: the value compared against.
    var expected: String?
}

extension RegisterClient {
    /// Performs `planned` and records it on the monotonic clock.
    ///
    /// The invocation time is taken before connecting, the completion after the reply is
    /// parsed: the recorded interval contains the real one, which keeps the check sound.
    /// Returns the operation and, when it did not end `ok`, why.
    func perform(_ planned: PlannedOperation, client: Int, timeout: Duration, isFinalRead: Bool = false) -> (Operation, String?) {
        let invoke = MonotonicClock.now()
        let reply = switch planned.kind {
        case .read: read(key: planned.key, timeout: timeout)
        case .write: write(key: planned.key, value: planned.value ?? "", timeout: timeout)
        case .cas: cas(key: planned.key, expected: planned.expected, new: planned.value ?? "", timeout: timeout)
        case .append: RegisterReply.notApplied("append is not a register operation")
        }
        let complete = MonotonicClock.now()
        let (outcome, reason) = Self.outcome(of: reply, kind: planned.kind)
        var value = planned.value
        if planned.kind == .read { value = if case .ok(let read) = reply { read } else { nil } }
        let operation = Operation(client: client, kind: planned.kind, key: planned.key, value: value,
                                  expected: planned.kind == .cas ? planned.expected : nil, outcome: outcome,
                                  invoke: invoke, completion: complete, node: node, isFinalRead: isFinalRead)
        return (operation, reason)
    }

    /// The history outcome of a reply.
    ///
    /// One case needs care: a CAS that was not applied (never sent, or refused) is
    /// recorded `info`, not `fail`. In a history a failed CAS asserts "the register did
    /// not hold the expected value", which a CAS that never reached the server does not
    /// know; `info` ("may or may not have happened") is true of it and keeps the check
    /// sound. Reads and writes that were not applied are `fail`, which the checkers ignore.
    static func outcome(of reply: RegisterReply, kind: OperationKind) -> (Outcome, String?) {
        switch reply {
        case .ok: (.ok, nil)
        case .casMismatch: (.fail, nil)
        case .notApplied(let reason): (kind == .cas ? .info : .fail, reason)
        case .indeterminate(let reason): (.info, reason)
        }
    }
}
