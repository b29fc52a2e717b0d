/// The partition hook of the built-in models: one independent object per key, labelled
/// with the key, in order of first appearance (so results are deterministic).
func partitionByKey<Input: Sendable, Output: Sendable>(
    _ operations: [ModelOperation<Input, Output>], keys: [String],
    keyOf: (Input) -> Int
) -> [ModelPartition<Input, Output>] {
    var groups = [[ModelOperation<Input, Output>]](repeating: [], count: keys.count)
    for operation in operations { groups[keyOf(operation.input)].append(operation) }
    var partitions: [ModelPartition<Input, Output>] = []
    for (index, group) in groups.enumerated() where !group.isEmpty {
        partitions.append(ModelPartition(label: keys[index], operations: group))
    }
    return partitions
}
