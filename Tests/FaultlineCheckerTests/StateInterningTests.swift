import FaultlineChecker
import Testing

/// The search interns model states by hash and exact equality. A model whose states all
/// hash alike must get the same verdicts as one with a good hash (equality decides, not the
/// hash), across the table's growth.
@Suite struct StateInterningTests {
    struct Counter: Hashable, Sendable {
        var value: Int
        let collide: Bool
        static func == (a: Counter, b: Counter) -> Bool { a.value == b.value }
        func hash(into hasher: inout Hasher) {
            hasher.combine(collide ? 0 : value)
        }
    }

    enum Input: Sendable { case add(Int), read }

    static func model(collide: Bool) -> Model<Counter, Input, Int> {
        Model(initialState: Counter(value: 0, collide: collide)) { state, input, output in
            switch input {
            case .add(let amount): return Counter(value: state.value + amount, collide: collide)
            case .read: return output == state.value ? state : nil
            }
        }
    }

    /// 300 concurrent adds of distinct powers-of-two-ish amounts (many distinct sums, so the
    /// table grows several times), then reads of the total.
    static func operations(finalRead: Int) -> [ModelOperation<Input, Int>] {
        var ops: [ModelOperation<Input, Int>] = []
        var total = 0
        for index in 0..<300 {
            let amount = 1 + index % 17
            total += amount
            // Groups of 6 overlapping adds; groups one after another.
            let group = UInt64(index / 6) * 100
            ops.append(ModelOperation(client: index, input: .add(amount), output: 0,
                                      call: group, ret: group + 50, source: index))
        }
        ops.append(ModelOperation(client: 1_000, input: .read, output: finalRead,
                                  call: 1_000_000, ret: 1_000_010, source: 300))
        #expect(total == 2_667)
        return ops
    }

    @Test func collidingHashesGiveTheSameVerdicts() {
        for collide in [false, true] {
            let good = LinearizabilityChecker.check(Self.model(collide: collide), operations: Self.operations(finalRead: 2_667))
            #expect(good.verdict == .ok, "collide \(collide)")
            #expect(good.partitions[0].states > 64, "the table must have grown")
            let bad = LinearizabilityChecker.check(Self.model(collide: collide), operations: Self.operations(finalRead: 2_666))
            #expect(bad.verdict == .illegal, "collide \(collide)")
        }
    }
}
