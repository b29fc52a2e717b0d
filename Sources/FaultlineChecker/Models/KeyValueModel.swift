/// A key-value store with get, put and append, one string register per key, initially
/// empty. A get of a key never written returns `""` (absent and empty are the same here,
/// as in Porcupine's kv model).
public enum KeyValueModel {
    public struct Input: Sendable, Hashable {
        public enum Kind: UInt8, Sendable { case get, put, append }
        public var kind: Kind
        public var key: Int32
        /// put/append: the argument.
        public var value: KeyValueState.Part
    }

    public struct Output: Sendable, Hashable {
        /// get: the value returned; `nil` when unknown (never for a kept get).
        public var value: KeyValueState.Part?
    }

    public static func model(keys: [String]) -> Model<KeyValueState, Input, Output> {
        Model(
            initialState: KeyValueState(""),
            step: { state, input, output in
                switch input.kind {
                case .get:
                    guard let value = output.value else { return state }
                    return state.equals(value) ? state : nil
                case .put: return KeyValueState(text: input.value.text, length: input.value.length,
                                                fingerprint: input.value.fingerprint)
                case .append: return state.appending(input.value)
                }
            },
            partition: { partitionByKey($0, keys: keys) { Int($0.key) } },
            readOnly: { input, _ in input.kind == .get },
            describeOperation: { input, output in
                switch input.kind {
                case .get: return "get → \(Operation.show(output.value?.text))"
                case .put: return "put \(Operation.show(input.value.text))"
                case .append: return "append \(Operation.show(input.value.text))"
                }
            },
            describeState: { $0.description })
    }

    /// Converts a history: read = get, write = put. Gets that failed or whose result is
    /// unknown, and failed puts and appends, are left out (no effect, no constraint).
    public static func operations(of history: History) throws(ModelMismatch)
        -> (operations: [ModelOperation<Input, Output>], keys: [String])
    {
        var keys: [String] = []
        var keyIds: [String: Int32] = [:]
        var result: [ModelOperation<Input, Output>] = []
        result.reserveCapacity(history.operations.count)
        for (index, operation) in history.operations.enumerated() {
            let kind: Input.Kind
            var output = Output(value: nil)
            switch (operation.kind, operation.outcome) {
            case (.read, .ok):
                kind = .get
                output.value = KeyValueState.Part(operation.value ?? "")
            case (.read, _), (.write, .fail), (.append, .fail):
                continue
            case (.write, _): kind = .put
            case (.append, _): kind = .append
            case (.cas, _):
                throw ModelMismatch(operation: index, line: operation.line, kind: .cas, model: "kv")
            }
            let key: Int32
            if let existing = keyIds[operation.key] {
                key = existing
            } else {
                key = Int32(keys.count)
                keyIds[operation.key] = key
                keys.append(operation.key)
            }
            let input = Input(kind: kind, key: key, value: KeyValueState.Part(kind == .get ? "" : operation.value ?? ""))
            result.append(ModelOperation(client: operation.client, input: input, output: output,
                                         call: operation.invoke, ret: operation.effectiveCompletion,
                                         source: index))
        }
        return (result, keys)
    }
}
