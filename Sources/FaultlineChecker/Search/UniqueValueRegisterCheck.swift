/// Decides linearizability of one read/write register whose writes all wrote distinct values,
/// in O(n log n) time and O(n) memory, without search (Gibbons & Korach, "Testing shared
/// memories", SIAM J. Comput. 1997; the "zones" of Golab, Li & Shah, PODC 2011).
///
/// Why it is exact. With unique values a read names the one write it saw, so every
/// linearization is a sequence of blocks, one per value: its write, then the reads that
/// returned it (the initial value's block, reads only, first). Inside a block any order that
/// puts the write first and respects real time works, as long as no read completed before
/// its write began. Between blocks, `A` must precede `B` exactly when some operation of `A`
/// completed before some operation of `B` began, i.e. `first(A) < last(B)` with `first` the
/// earliest completion and `last` the latest invocation in a block. That relation has a cycle
/// only if it has one of length two (in a shortest cycle without chords, `first` would grow
/// strictly every second step all the way round), so the history is linearizable iff
/// (1) every read returned the initial value or a written one, (2) no read completed before
/// its write was invoked, (3) no block's operation completed before a read of the initial
/// value began, and (4) no two blocks `A ≠ B` have `first(A) < last(B)` and `first(B) < last(A)`.
///
/// Preconditions, checked here (`nil` when they fail, and the caller runs the general search):
/// only reads and writes (no compare-and-set), no read of unknown result, no write of the
/// absent value, no value written twice. Indeterminate writes have an unknown completion
/// (`ret` = max), which makes them precede nothing: the same reading as the general search's.
enum UniqueValueRegisterCheck {
    typealias Op = ModelOperation<RegisterModel.Input, RegisterModel.Output>

    static func run(_ operations: [Op]) -> PartitionSearchResult? {
        let n = operations.count
        // Block 0 is the initial value's; block k ≥ 1 belongs to the k-th write.
        var blockOfValue: [Int32: Int32] = [0: 0]
        var writeOf: [Int] = [-1]
        for (position, operation) in operations.enumerated() {
            switch operation.input.kind {
            case .cas:
                return nil
            case .write:
                let value = operation.input.first
                if value == 0 || blockOfValue[value] != nil { return nil }
                blockOfValue[value] = Int32(writeOf.count)
                writeOf.append(position)
            case .read:
                if operation.output.code == RegisterModel.Output.unknown { return nil }
            }
        }
        let blockCount = writeOf.count
        @inline(__always) func completion(_ position: Int) -> UInt64 {
            max(operations[position].ret, operations[position].call)
        }
        func illegal(_ conflict: ValueOrderConflict) -> PartitionSearchResult {
            PartitionSearchResult(verdict: .illegal, order: [], statesAfter: [], blocked: nil, pending: [],
                                  stateAtBlock: nil, iterations: n, states: blockCount, configurations: 0,
                                  conflict: conflict, method: .uniqueValueBlocks)
        }

        // Per block: earliest completion and latest invocation, with the operations that have them.
        var block = [Int32](repeating: 0, count: n)
        var first = [UInt64](repeating: .max, count: blockCount)
        var firstOp = [Int](repeating: -1, count: blockCount)
        var last = [UInt64](repeating: 0, count: blockCount)
        var lastOp = [Int](repeating: -1, count: blockCount)
        for (position, operation) in operations.enumerated() {
            let value = operation.input.kind == .write ? operation.input.first : operation.output.code
            guard let b = blockOfValue[value] else {
                return illegal(.readOfUnwrittenValue(read: position))
            }
            block[position] = b
            let bi = Int(b)
            let ends = completion(position)
            if firstOp[bi] < 0 || ends < first[bi] { first[bi] = ends; firstOp[bi] = position }
            if lastOp[bi] < 0 || operation.call > last[bi] { last[bi] = operation.call; lastOp[bi] = position }
        }

        // (2) A read that completed before its write began.
        for (position, operation) in operations.enumerated()
        where operation.input.kind == .read && block[position] != 0 {
            let write = writeOf[Int(block[position])]
            if completion(position) < operations[write].call {
                return illegal(.readBeforeWrite(read: position, write: write))
            }
        }

        // (3) The initial value read after some written value's operation had completed.
        if lastOp[0] >= 0 && blockCount > 1 {
            var earliest = 1
            for b in 2..<blockCount where first[b] < first[earliest] { earliest = b }
            if first[earliest] < last[0] {
                return illegal(.staleInitialRead(read: lastOp[0], completed: firstOp[earliest]))
            }
        }

        // (4) Two blocks that must each precede the other. Blocks sorted by `first`; for each
        // prefix, the two blocks with the greatest `last` (two, so a block can skip itself).
        let written = Array(1..<max(blockCount, 1))
        let byFirst = written.sorted { (first[$0], $0) < (first[$1], $1) }
        var best = [Int](repeating: -1, count: byFirst.count)
        var second = [Int](repeating: -1, count: byFirst.count)
        var top = -1, runnerUp = -1
        for (k, b) in byFirst.enumerated() {
            if top < 0 || last[b] > last[top] {
                runnerUp = top; top = b
            } else if runnerUp < 0 || last[b] > last[runnerUp] {
                runnerUp = b
            }
            best[k] = top
            second[k] = runnerUp
        }
        let sortedFirst = byFirst.map { first[$0] }
        for b in written {
            // Blocks a with first(a) < last(b): a prefix of `byFirst`.
            let prefix = sortedFirst.partitioningIndex { $0 >= last[b] }
            if prefix == 0 { continue }
            let a = best[prefix - 1] == b ? second[prefix - 1] : best[prefix - 1]
            if a >= 0 && last[a] > first[b] {
                return illegal(.cycle(firstCompleted: firstOp[a], firstBegan: lastOp[b],
                                      secondCompleted: firstOp[b], secondBegan: lastOp[a]))
            }
        }

        // Linearizable: the witness. Blocks in order of min(first, last), a block whose
        // `last ≤ first` (all its operations overlap) before one whose `first < last` at equal
        // keys; this order extends the precedence relation when (4) holds. Inside a block:
        // the write, then the reads by completion.
        let blockOrder = [0] + written.sorted { a, b in
            let keyA = min(first[a], last[a]), keyB = min(first[b], last[b])
            if keyA != keyB { return keyA < keyB }
            let tieA = last[a] <= first[a] ? 0 : 1, tieB = last[b] <= first[b] ? 0 : 1
            if tieA != tieB { return tieA < tieB }
            return a < b
        }
        var members = [[Int]](repeating: [], count: blockCount)
        for position in 0..<n where operations[position].input.kind == .read {
            members[Int(block[position])].append(position)
        }
        var order: [Int] = []
        order.reserveCapacity(n)
        for b in blockOrder {
            if b > 0 { order.append(writeOf[b]) }
            let reads = members[b].sorted {
                (completion($0), operations[$0].call, $0) < (completion($1), operations[$1].call, $1)
            }
            order.append(contentsOf: reads)
        }
        return PartitionSearchResult(verdict: .ok, order: order, statesAfter: [], blocked: nil, pending: [],
                                     stateAtBlock: nil, iterations: n, states: blockCount, configurations: 0,
                                     method: .uniqueValueBlocks)
    }
}
