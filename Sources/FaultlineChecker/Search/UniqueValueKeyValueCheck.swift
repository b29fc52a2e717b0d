/// The unique-value block test (`UniqueValueRegisterCheck`) for the key-value model.
///
/// Why it applies. A key-value partition is one key, and with only gets and puts that key
/// is a read/write register whose initial value is `""` (a get of a key never written
/// returns `""`). The workloads write a fresh value with every put and read with get, so a
/// partition of a recorded put/get history is exactly the register case the block test
/// decides in O(n log n); the general search is left with appends, and with the rare
/// partition that writes a value twice or writes `""` (which would be the initial value).
///
/// Preconditions, checked here (`nil` when they fail, and the caller runs the general search):
/// no append, no put of `""`; the register check then checks the rest (no value put twice).
enum UniqueValueKeyValueCheck {
    typealias Op = ModelOperation<KeyValueModel.Input, KeyValueModel.Output>

    static func run(_ operations: [Op]) -> PartitionSearchResult? {
        // Values interned per partition; id 0 is the initial value `""`, the register's "absent".
        var ids: [String: Int32] = ["": 0]
        func id(_ text: String) -> Int32 {
            if let existing = ids[text] { return existing }
            let new = Int32(ids.count)
            ids[text] = new
            return new
        }
        var registers: [UniqueValueRegisterCheck.Op] = []
        registers.reserveCapacity(operations.count)
        for operation in operations {
            let input: RegisterModel.Input
            var output = RegisterModel.Output(code: 0)
            switch operation.input.kind {
            case .append:
                return nil
            case .put:
                let text = operation.input.value.text
                if text.isEmpty { return nil }
                input = RegisterModel.Input(kind: .write, key: 0, first: id(text), second: 0)
            case .get:
                // Gets of unknown result never reach the model (see `KeyValueModel.operations`).
                guard let value = operation.output.value else { return nil }
                input = RegisterModel.Input(kind: .read, key: 0, first: 0, second: 0)
                output.code = id(value.text)
            }
            // Same positions as `operations`: the result's order and conflict refer to them.
            registers.append(ModelOperation(client: operation.client, input: input, output: output,
                                            call: operation.call, ret: operation.ret, source: operation.source))
        }
        return UniqueValueRegisterCheck.run(registers)
    }
}
