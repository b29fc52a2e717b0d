/// Read/write registers and compare-and-set registers, one per key, initially absent.
///
/// Values are interned per history to `Int32` ids (0 = absent), so states are integers and
/// steps are a comparison or two.
public enum RegisterModel {
    public struct Input: Sendable, Hashable {
        public enum Kind: UInt8, Sendable { case read, write, cas }
        public var kind: Kind
        /// Index of the key in the history's key table (registers are independent per key).
        public var key: Int32
        /// write: the value written; cas: the value compared against.
        public var first: Int32
        /// cas: the new value.
        public var second: Int32
    }

    public struct Output: Sendable, Hashable {
        /// read: the value id returned. cas: 1 swapped, 0 compared unequal. write: 0.
        /// `unknown` (-1): the completion was never seen.
        public var code: Int32
        public static let unknown: Int32 = -1
    }

    /// The sequential specification. `values[id]` names value ids in descriptions.
    public static func model(values: [String?], keys: [String]) -> Model<Int32, Input, Output> {
        let name: @Sendable (Int32) -> String = { id in
            id >= 0 && Int(id) < values.count ? Operation.show(values[Int(id)]) : "?"
        }
        return Model(
            initialState: 0,
            step: { state, input, output in
                switch input.kind {
                case .read:
                    return output.code == Output.unknown || output.code == state ? state : nil
                case .write:
                    return input.first
                case .cas:
                    let matches = state == input.first
                    switch output.code {
                    case 1: return matches ? input.second : nil
                    case 0: return matches ? nil : state
                    default: return matches ? input.second : state
                    }
                }
            },
            partition: { partitionByKey($0, keys: keys) { Int($0.key) } },
            readOnly: { input, output in input.kind == .read || (input.kind == .cas && output.code == 0) },
            describeOperation: { input, output in
                switch input.kind {
                case .read: return "read → \(output.code == Output.unknown ? "?" : name(output.code))"
                case .write: return "write \(name(input.first))"
                case .cas:
                    let result = output.code == 1 ? "ok" : output.code == 0 ? "failed" : "unknown"
                    return "cas \(name(input.first)) → \(name(input.second)) \(result)"
                }
            },
            describeState: name)
    }

    /// Converts a history for the register model (`allowCompareAndSet` false) or the
    /// compare-and-set register model. Operations without effect or constraint (failed or
    /// indeterminate reads, failed writes) are left out.
    public static func operations(of history: History, allowCompareAndSet: Bool) throws(ModelMismatch)
        -> (operations: [ModelOperation<Input, Output>], values: [String?], keys: [String])
    {
        var values: [String?] = [nil]
        var valueIds: [String: Int32] = [:]
        func id(_ value: String?) -> Int32 {
            guard let value else { return 0 }
            if let existing = valueIds[value] { return existing }
            let new = Int32(values.count)
            values.append(value)
            valueIds[value] = new
            return new
        }
        var keys: [String] = []
        var keyIds: [String: Int] = [:]
        var result: [ModelOperation<Input, Output>] = []
        result.reserveCapacity(history.operations.count)
        for (index, operation) in history.operations.enumerated() {
            var input: Input
            var output = Output(code: 0)
            switch (operation.kind, operation.outcome) {
            case (.read, .ok):
                input = Input(kind: .read, key: 0, first: 0, second: 0)
                output.code = id(operation.value)
            case (.read, _), (.write, .fail):
                continue
            case (.write, _):
                input = Input(kind: .write, key: 0, first: id(operation.value), second: 0)
            case (.cas, let outcome):
                guard allowCompareAndSet else {
                    throw ModelMismatch(operation: index, line: operation.line, kind: .cas, model: "register")
                }
                input = Input(kind: .cas, key: 0, first: id(operation.expected), second: id(operation.value))
                output.code = outcome == .ok ? 1 : outcome == .fail ? 0 : Output.unknown
            case (.append, _):
                throw ModelMismatch(operation: index, line: operation.line, kind: .append,
                                    model: allowCompareAndSet ? "cas" : "register")
            }
            if let key = keyIds[operation.key] {
                input.key = Int32(key)
            } else {
                input.key = Int32(keys.count)
                keyIds[operation.key] = keys.count
                keys.append(operation.key)
            }
            result.append(ModelOperation(client: operation.client, input: input, output: output,
                                         call: operation.invoke, ret: operation.effectiveCompletion,
                                         source: index))
        }
        return (result, values, keys)
    }
}
