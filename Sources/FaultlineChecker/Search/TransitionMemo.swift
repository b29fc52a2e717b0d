/// Memo of the model's step results per (state id, operation index): the search asks the
/// same question many times while it backtracks, and a model's step may be costly (string
/// concatenation for append, say). Open addressing over one flat array of packed keys.
///
/// Value: the next state id, or -1 when the operation is illegal in that state.
struct TransitionMemo {
    private var keys: UnsafeMutablePointer<UInt64>    // UInt64.max = empty
    private var values: UnsafeMutablePointer<Int32>
    private var capacity: Int
    private var shift: UInt64
    private var count = 0

    static let missing: Int32 = .min

    init(initialCapacity: Int = 1024) {
        var capacity = 16
        while capacity < initialCapacity { capacity <<= 1 }
        self.capacity = capacity
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: .max, count: capacity)
        values = .allocate(capacity: capacity)
    }

    func deallocate() {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    private static func key(_ state: Int32, _ op: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: state)) << 32 | UInt64(UInt32(bitPattern: op))
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The memoised result, or `TransitionMemo.missing`.
    @inline(__always)
    func lookup(state: Int32, op: Int32) -> Int32 {
        let k = Self.key(state, op)
        let mask = capacity - 1
        var i = slot(k)
        while true {
            let stored = keys[i]
            if stored == k { return values[i] }
            if stored == .max { return Self.missing }
            i = (i + 1) & mask
        }
    }

    /// What the memo holds now; a growth allocates twice this.
    var bytes: Int { capacity * (MemoryLayout<UInt64>.stride + MemoryLayout<Int32>.stride) }

    /// Whether the next store of a new key doubles the table.
    var growsOnNextStore: Bool { (count + 1) * 2 > capacity }

    mutating func store(state: Int32, op: Int32, next: Int32) {
        if (count + 1) * 2 > capacity { grow() }
        let k = Self.key(state, op)
        let mask = capacity - 1
        var i = slot(k)
        while keys[i] != .max && keys[i] != k { i = (i + 1) & mask }
        if keys[i] == .max { count += 1 }
        keys[i] = k
        values[i] = next
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values, oldCapacity = capacity
        capacity *= 2
        shift -= 1
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: .max, count: capacity)
        values = .allocate(capacity: capacity)
        let mask = capacity - 1
        for j in 0..<oldCapacity where oldKeys[j] != .max {
            var i = slot(oldKeys[j])
            while keys[i] != .max { i = (i + 1) & mask }
            keys[i] = oldKeys[j]
            values[i] = oldValues[j]
        }
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}
