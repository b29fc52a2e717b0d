/// An operation kind the chosen model does not define.
public struct ModelMismatch: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: Int
    public var line: Int?
    public var kind: OperationKind
    public var model: String

    public var description: String {
        "operation \(kind.rawValue) is not defined by model '\(model)'"
            + (model == "register" && kind == .cas ? " (use --model cas)" : "")
            + (kind == .append ? " (use --model kv)" : "")
            + (model == "kv" && kind == .cas ? " (use --model cas)" : "")
    }
}

