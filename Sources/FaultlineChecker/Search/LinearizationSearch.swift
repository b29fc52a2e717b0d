/// What one partition's search found.
struct PartitionSearchResult: Sendable {
    enum Verdict: Sendable { case ok, illegal, timedOut, outOfMemory, superseded }
    var verdict: Verdict
    /// Positions (in the partition's operation list) in the order found: the whole
    /// linearization when `ok`, else the longest linearizable prefix reached.
    var order: [Int]
    /// Description of the model state after each operation of `order`.
    var statesAfter: [String]
    /// When illegal: the operation whose completion could not be reached (it had to take
    /// effect by then, and no order of what was pending allowed it), the operations pending
    /// at that point (candidates to take effect next), and the state there.
    var blocked: Int?
    var pending: [Int]
    var stateAtBlock: String?
    /// Search steps taken, distinct model states met, configurations cached: for benchmarks.
    var iterations: Int
    var states = 0
    var configurations = 0
    /// When illegal by `UniqueValueRegisterCheck`: the fact that rules out every order.
    var conflict: ValueOrderConflict? = nil
    var method: PartitionMethod = .search
}

/// Checks one partition for linearizability: the Wing & Gong search with Lowe's cache of
/// visited configurations, on Porcupine's doubly-linked list of call and return entries.
///
/// The list holds the call and return entries of the operations not yet linearized, in time
/// order (calls before returns at equal times: intervals are closed). An operation whose call
/// entry comes before the first return entry can take effect next; the search tries them in
/// list order, depth first, and backtracks when it meets a return entry (that operation
/// should have taken effect by then). Unknown completions sit at the end of the list, so an
/// indeterminate operation may take effect at any point after its call, or at the very end,
/// which is the same as never for every later operation.
///
/// Two additions to Porcupine's loop:
/// - Partial-order reduction for read-only operations (the model's `readOnly`: legal only
///   where they leave the state unchanged, e.g. reads, failed compare-and-sets): if such an
///   operation is legal now, taking it now loses nothing (every operation that must precede
///   it already has, and removing it from a later position changes no state), so when the
///   search backtracks over it, it also abandons the configuration it was taken from.
/// - All per-step data lives in flat buffers; states are interned to `Int32` ids and step
///   results memoised, so the loop does no allocation and no hashing of model states.
struct LinearizationSearch<State: Hashable & Sendable, Input: Sendable, Output: Sendable> {
    let model: ResolvedModel<State, Input, Output>
    let operations: [ModelOperation<Input, Output>]

    func run(budget: SearchBudget, recordLongestPrefix: Bool = true) -> PartitionSearchResult {
        let n = operations.count
        if n == 0 {
            return PartitionSearchResult(verdict: .ok, order: [], statesAfter: [], blocked: nil,
                                         pending: [], stateAtBlock: nil, iterations: 0)  // n == 0
        }

        // Entries: 2n events sorted by (time, call before return, operation index).
        // Node 0 is the head, node 2n+1 the tail; node k (1...2n) is the k-th event.
        var events = [(time: UInt64, isReturn: Bool, op: Int32)]()
        events.reserveCapacity(2 * n)
        for (i, operation) in operations.enumerated() {
            events.append((operation.call, false, Int32(i)))
            events.append((max(operation.ret, operation.call), true, Int32(i)))
        }
        events.sort { a, b in
            if a.time != b.time { return a.time < b.time }
            if a.isReturn != b.isReturn { return !a.isReturn }
            return a.op < b.op
        }
        let nodeCount = 2 * n + 2
        let tail = Int32(nodeCount - 1)
        let next = UnsafeMutablePointer<Int32>.allocate(capacity: nodeCount)
        let prev = UnsafeMutablePointer<Int32>.allocate(capacity: nodeCount)
        // nodeCode[k] = op for a call entry, ~op for a return entry.
        let nodeCode = UnsafeMutablePointer<Int32>.allocate(capacity: nodeCount)
        let callNode = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let returnNode = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer {
            next.deallocate(); prev.deallocate(); nodeCode.deallocate()
            callNode.deallocate(); returnNode.deallocate()
        }
        for k in 0..<nodeCount {
            next[k] = Int32(k + 1)
            prev[k] = Int32(k - 1)
        }
        nodeCode[0] = 0
        nodeCode[nodeCount - 1] = 0
        for (index, event) in events.enumerated() {
            let k = index + 1
            nodeCode[k] = event.isReturn ? ~event.op : event.op
            if event.isReturn { returnNode[Int(event.op)] = Int32(k) } else { callNode[Int(event.op)] = Int32(k) }
        }

        let words = (n + 63) / 64
        let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        bits.initialize(repeating: 0, count: words)
        let zobristKey = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        for i in 0..<n { zobristKey[i] = splitMix64(UInt64(i) &* 0x2545_F491_4F6C_DD1D) }
        let frameOp = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let frameState = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let frameForced = UnsafeMutablePointer<Bool>.allocate(capacity: n)
        let readOnly = UnsafeMutablePointer<Bool>.allocate(capacity: n)
        let lastState = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let lastTarget = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        lastState.initialize(repeating: -1, count: n)
        lastTarget.initialize(repeating: -1, count: n)
        // Inputs and outputs apart from the rest of each operation, so that a step reads them
        // in place (copying a whole operation retains and releases every reference in it).
        let inputs = UnsafeMutablePointer<Input>.allocate(capacity: n)
        let outputs = UnsafeMutablePointer<Output>.allocate(capacity: n)
        for (i, operation) in operations.enumerated() {
            readOnly[i] = model.readOnly(operation.input, operation.output)
            (inputs + i).initialize(to: operation.input)
            (outputs + i).initialize(to: operation.output)
        }
        defer {
            inputs.deinitialize(count: n); inputs.deallocate()
            outputs.deinitialize(count: n); outputs.deallocate()
        }
        var visited = VisitedSet(words: words, initialCapacity: max(1024, 4 * n))
        // Growth of the visited set is what the check's memory limit bounds: capacity for
        // entries granted so far, and bytes reserved (given back when the search ends).
        var grantedEntries = visited.capacityForEntries
        var cache = CacheAccount(budget: budget)
        defer { cache.close() }
        var memo = TransitionMemo(initialCapacity: max(1024, 4 * n))
        defer {
            bits.deallocate(); zobristKey.deallocate()
            frameOp.deallocate(); frameState.deallocate(); frameForced.deallocate(); readOnly.deallocate()
            lastState.deallocate(); lastTarget.deallocate()
            visited.deallocate(); memo.deallocate()
        }

        // Interned states.
        var states = StateTable<State>(initialCapacity: max(64, n))
        _ = states.intern(model.initialState)
        defer { states.deallocate() }
        let step = model.step

        @inline(__always) func lift(_ op: Int) {
            let c = Int(callNode[op]), r = Int(returnNode[op])
            next[Int(prev[c])] = next[c]; prev[Int(next[c])] = prev[c]
            next[Int(prev[r])] = next[r]; prev[Int(next[r])] = prev[r]
        }
        @inline(__always) func unlift(_ op: Int) {
            let c = Int32(callNode[op]), r = Int32(returnNode[op])
            next[Int(prev[Int(r)])] = r; prev[Int(next[Int(r)])] = r
            next[Int(prev[Int(c)])] = c; prev[Int(next[Int(c)])] = c
        }
        @inline(__always) func mixState(_ s: Int32) -> UInt64 {
            splitMix64(UInt64(UInt32(bitPattern: s)) ^ 0x5851_F42D_4C95_7F2D)
        }

        var state: Int32 = 0
        var zobrist: UInt64 = 0
        var depth = 0
        var node = next[0]
        var iterations = 0

        func outOfMemory() -> PartitionSearchResult {
            PartitionSearchResult(verdict: .outOfMemory, order: [], statesAfter: [], blocked: nil, pending: [],
                                  stateAtBlock: nil, iterations: iterations, states: states.count, configurations: visited.count)
        }
        func footprint(_ state: State) -> Int { (state as? StateFootprint)?.heapBytes ?? 0 }

        var bestDepth = -1
        var bestOrder: [Int32] = []
        var bestBlocked: Int? = nil
        var bestPending: [Int] = []
        var bestState: Int32 = 0

        while next[0] != tail {
            iterations &+= 1
            if iterations & 0x3FF == 0, let stop = budget.shouldStop() {
                let verdict: PartitionSearchResult.Verdict = stop == .timedOut ? .timedOut : .superseded
                return PartitionSearchResult(verdict: verdict, order: [], statesAfter: [], blocked: nil,
                                             pending: [], stateAtBlock: nil, iterations: iterations, states: states.count, configurations: visited.count)
            }
            let code = nodeCode[Int(node)]
            var deadEnd = code < 0
            if !deadEnd {
                let op = code
                // Step result: a one-entry cache per operation (small, stays in cache), then
                // the memo (read-only operations skip it: their step is a comparison and their
                // result is the same state or illegal).
                var target: Int32
                if lastState[Int(op)] == state {
                    target = lastTarget[Int(op)]
                } else {
                    target = readOnly[Int(op)] ? TransitionMemo.missing : memo.lookup(state: state, op: op)
                    if target == TransitionMemo.missing {
                        if let after = step(states[state], inputs[Int(op)], outputs[Int(op)]) {
                            if readOnly[Int(op)] {
                                target = state
                            } else {
                                let known = states.count
                                target = states.intern(after)
                                // A new state costs its slot and what it holds (a key-value
                                // string grows with every append): with many open writes the
                                // states, not the visited set, are what fills memory.
                                if states.count > known, !cache.add(StateTable<State>.bytesPerState + footprint(after)) {
                                    return outOfMemory()
                                }
                            }
                        } else {
                            target = -1
                        }
                        if !readOnly[Int(op)] {
                            if memo.growsOnNextStore, !cache.add(memo.bytes) { return outOfMemory() }
                            memo.store(state: state, op: op, next: target)
                        }
                    }
                    lastState[Int(op)] = state
                    lastTarget[Int(op)] = target
                }
                if target >= 0 {
                    let forced = readOnly[Int(op)] && target == state
                    let word = Int(op >> 6)
                    let bit = UInt64(1) << UInt64(op & 63)
                    bits[word] |= bit
                    let nextZobrist = zobrist ^ zobristKey[Int(op)]
                    if visited.isFull && grantedEntries == visited.capacityForEntries {
                        guard cache.add(visited.bytes) else { return outOfMemory() }
                        grantedEntries = 2 * visited.capacityForEntries
                    }
                    if visited.insert(hash: nextZobrist ^ mixState(target), state: target, bits: bits) {
                        frameOp[depth] = op
                        frameState[depth] = state
                        frameForced[depth] = forced
                        depth += 1
                        state = target
                        zobrist = nextZobrist
                        lift(Int(op))
                        node = next[0]
                        continue
                    }
                    bits[word] &= ~bit
                    // A state-preserving operation that leads to an explored configuration:
                    // the current configuration fails too (see the type's comment).
                    if forced { deadEnd = true }
                }
                if !deadEnd {
                    node = next[Int(node)]
                    continue
                }
            }

            // Dead end: record the deepest prefix, then backtrack.
            if recordLongestPrefix && depth > bestDepth {
                bestDepth = depth
                bestOrder = Array(UnsafeBufferPointer(start: frameOp, count: depth))
                bestState = state
                var pending: [Int] = []
                var k = next[0]
                while nodeCode[Int(k)] >= 0 && k != tail {
                    pending.append(Int(nodeCode[Int(k)]))
                    k = next[Int(k)]
                }
                bestBlocked = k == tail ? nil : Int(~nodeCode[Int(k)])
                bestPending = pending
            }
            while true {
                if depth == 0 {
                    // States after each step of the prefix: replay through the memo.
                    var s: Int32 = 0
                    let bestStates = bestOrder.map { op -> Int32 in
                        if !readOnly[Int(op)] { s = memo.lookup(state: s, op: op) }
                        return s
                    }
                    return PartitionSearchResult(
                        verdict: .illegal,
                        order: bestOrder.map { Int($0) },
                        statesAfter: bestStates.map { model.describeState(states[$0]) },
                        blocked: bestBlocked, pending: bestPending,
                        stateAtBlock: model.describeState(states[bestState]),
                        iterations: iterations, states: states.count, configurations: visited.count)
                }
                depth -= 1
                let op = frameOp[depth]
                state = frameState[depth]
                bits[Int(op >> 6)] &= ~(UInt64(1) << UInt64(op & 63))
                zobrist ^= zobristKey[Int(op)]
                unlift(Int(op))
                if !frameForced[depth] {
                    node = next[Int(callNode[Int(op)])]
                    break
                }
            }
        }

        let order = Array(UnsafeBufferPointer(start: frameOp, count: depth)).map { Int($0) }
        // The complete linearization; states are not described here (a long history would
        // make that costly, and a linearizable history needs no explanation).
        return PartitionSearchResult(verdict: .ok, order: order, statesAfter: [],
                                     blocked: nil, pending: [], stateAtBlock: nil, iterations: iterations, states: states.count, configurations: visited.count)
    }
}
