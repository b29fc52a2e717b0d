/// Why a register history whose writes all wrote distinct values is not linearizable, as
/// found by `UniqueValueRegisterCheck` without any search. Operation references are indices
/// into the list the check was given (`History.operations` for history checks).
///
/// With unique values, every linearization is a sequence of blocks, one per value: the write
/// of that value followed by the reads that returned it (the initial value's block, reads
/// only, comes first). A violation is therefore always one of these small facts.
public enum ValueOrderConflict: Sendable, Equatable {
    /// A read returned a value that no write of this key wrote and that is not the initial one.
    case readOfUnwrittenValue(read: Int)
    /// A read completed before the write of the value it returned was invoked.
    case readBeforeWrite(read: Int, write: Int)
    /// A read returned the initial value, but began after `completed`, an operation on a
    /// written value, had completed: the initial value was already overwritten.
    case staleInitialRead(read: Int, completed: Int)
    /// Two values' blocks must each come before the other: `firstCompleted` (of value A)
    /// completed before `firstBegan` (of value B) began, so A's block precedes B's; and
    /// `secondCompleted` (of B) completed before `secondBegan` (of A) began, so B's precedes A's.
    case cycle(firstCompleted: Int, firstBegan: Int, secondCompleted: Int, secondBegan: Int)

    /// The same conflict with every operation reference passed through `map`.
    func mapOperations(_ map: (Int) -> Int) -> ValueOrderConflict {
        switch self {
        case .readOfUnwrittenValue(let read): .readOfUnwrittenValue(read: map(read))
        case .readBeforeWrite(let read, let write): .readBeforeWrite(read: map(read), write: map(write))
        case .staleInitialRead(let read, let completed): .staleInitialRead(read: map(read), completed: map(completed))
        case .cycle(let a, let b, let c, let d):
            .cycle(firstCompleted: map(a), firstBegan: map(b), secondCompleted: map(c), secondBegan: map(d))
        }
    }

    /// Lines of an explanation, operations described by `describe`.
    func explanationLines(describe: (Int) -> String) -> [String] {
        switch self {
        case .readOfUnwrittenValue(let read):
            return ["  this read returned a value that no write wrote:",
                    "    \(describe(read))"]
        case .readBeforeWrite(let read, let write):
            return ["  this read completed before the write of the value it returned was invoked:",
                    "    \(describe(read))",
                    "    \(describe(write))"]
        case .staleInitialRead(let read, let completed):
            return ["  this read returned the initial value:",
                    "    \(describe(read))",
                    "  but it began after this operation on a written value had completed:",
                    "    \(describe(completed))"]
        case .cycle(let a, let b, let c, let d):
            return ["  each value is written once, so each value's write and its reads form one block in any",
                    "  valid order; these two blocks must each come before the other:",
                    "    \(describe(a))",
                    "  completed before",
                    "    \(describe(b))",
                    "  began, and",
                    "    \(describe(c))",
                    "  completed before",
                    "    \(describe(d))",
                    "  began"]
        }
    }
}
