/// A sequential specification of an object, as a value: an initial state and a pure step
/// function (Porcupine's shape). Everything else is an optional hook whose default is
/// filled in at one place, `ResolvedModel.init`.
///
/// `State` is `Hashable` because the checker interns states: it keeps each distinct state
/// once and works on small integer ids in its search, so `==` is the model's equality.
/// A model whose states have several representations of one logical value maps them to
/// one with `canonical`.
public struct Model<State: Hashable & Sendable, Input: Sendable, Output: Sendable>: Sendable {
    /// The state before any operation.
    public var initialState: State
    /// Applies `input` to `state` and returns the next state if `output` is a possible
    /// answer from `state`, or `nil` if the operation could not have answered `output` there.
    /// Must be pure: the checker calls it at most once per (state, operation) pair.
    public var step: @Sendable (State, Input, Output) -> State?
    /// Splits a history into independent parts checked separately (P-compositionality:
    /// a history is linearizable iff every part is). Default: one part.
    public var partition: (@Sendable ([ModelOperation<Input, Output>]) -> [ModelPartition<Input, Output>])?
    /// Maps states the model considers equal to one representative. Default: identity.
    public var canonical: (@Sendable (State) -> State)?
    /// True for an operation that leaves the state unchanged in every state where it is
    /// legal (a read; a compare-and-set known to have failed). The search linearizes such an
    /// operation as soon as it is legal without branching on it (a partial-order reduction).
    /// Default: false for every operation (no reduction). Saying true for an operation that
    /// can change the state makes verdicts wrong.
    public var readOnly: (@Sendable (Input, Output) -> Bool)?
    /// Describes an operation for explanations. Default: `String(describing:)`.
    public var describeOperation: (@Sendable (Input, Output) -> String)?
    /// Describes a state for explanations. Default: `String(describing:)`.
    public var describeState: (@Sendable (State) -> String)?

    public init(initialState: State,
                step: @escaping @Sendable (State, Input, Output) -> State?,
                partition: (@Sendable ([ModelOperation<Input, Output>]) -> [ModelPartition<Input, Output>])? = nil,
                canonical: (@Sendable (State) -> State)? = nil,
                readOnly: (@Sendable (Input, Output) -> Bool)? = nil,
                describeOperation: (@Sendable (Input, Output) -> String)? = nil,
                describeState: (@Sendable (State) -> String)? = nil) {
        self.initialState = initialState
        self.step = step
        self.partition = partition
        self.canonical = canonical
        self.readOnly = readOnly
        self.describeOperation = describeOperation
        self.describeState = describeState
    }
}

/// One operation as a model sees it: its input and output, its client and its interval.
public struct ModelOperation<Input: Sendable, Output: Sendable>: Sendable {
    public var client: Int
    public var input: Input
    public var output: Output
    /// Invocation time (any monotonic unit).
    public var call: UInt64
    /// Completion time; `UInt64.max` when unknown (the operation may take effect at any
    /// point after `call`, or never).
    public var ret: UInt64
    /// Index of the operation in the caller's list (e.g. `History.operations`), carried
    /// through partitioning so explanations can point back at it.
    public var source: Int

    public init(client: Int, input: Input, output: Output, call: UInt64, ret: UInt64, source: Int) {
        self.client = client
        self.input = input
        self.output = output
        self.call = call
        self.ret = ret
        self.source = source
    }
}

/// An independent part of a history, with a label for explanations (e.g. the key).
public struct ModelPartition<Input: Sendable, Output: Sendable>: Sendable {
    public var label: String
    public var operations: [ModelOperation<Input, Output>]

    public init(label: String, operations: [ModelOperation<Input, Output>]) {
        self.label = label
        self.operations = operations
    }
}

/// A model with every hook present: the one place where defaults are filled in.
struct ResolvedModel<State: Hashable & Sendable, Input: Sendable, Output: Sendable>: Sendable {
    let initialState: State
    let step: @Sendable (State, Input, Output) -> State?
    let partition: @Sendable ([ModelOperation<Input, Output>]) -> [ModelPartition<Input, Output>]
    let canonical: @Sendable (State) -> State
    let readOnly: @Sendable (Input, Output) -> Bool
    let describeOperation: @Sendable (Input, Output) -> String
    let describeState: @Sendable (State) -> String

    init(_ model: Model<State, Input, Output>) {
        let canonical = model.canonical ?? { $0 }
        self.canonical = canonical
        self.initialState = canonical(model.initialState)
        let step = model.step
        if model.canonical == nil {
            self.step = step
        } else {
            self.step = { state, input, output in step(state, input, output).map(canonical) }
        }
        self.readOnly = model.readOnly ?? { _, _ in false }
        self.partition = model.partition ?? { [ModelPartition(label: "", operations: $0)] }
        self.describeOperation = model.describeOperation ?? { input, output in
            "\(String(describing: input)) → \(String(describing: output))"
        }
        self.describeState = model.describeState ?? { String(describing: $0) }
    }
}
