/// The search's interned model states: each distinct state is kept once and named by a
/// dense `Int32` id, so configurations and memo entries hold ids, never states.
///
/// Why not `[State]` plus `[State: Int32]`: that keeps every state twice (two retains and two
/// releases of a string state), rehashes every key when the dictionary grows, and the
/// teardown of the two copies cost about a tenth of the search on Porcupine's c50-ok
/// (callgrind). Here one buffer owns the states and an open-addressing table of ids, with
/// each state's hash cached beside it, finds them. Equality is the model's `==`, exact.
///
/// A `struct` owning raw memory, like `VisitedSet`: the search keeps it in a local
/// variable and calls `deallocate()` when done.
struct StateTable<State: Hashable> {
    private var storage: UnsafeMutablePointer<State>
    private var storageCapacity: Int
    private(set) var count = 0
    private var slotId: UnsafeMutablePointer<Int32>      // id + 1; 0 = empty
    private var slotHash: UnsafeMutablePointer<Int>
    private var capacity: Int                           // power of two, ≥ 2 × count
    private var shift: UInt64                           // 64 - log2(capacity)

    /// What one more state costs the table, amortized: its storage and two slots (id and
    /// cached hash; the table keeps at least twice as many slots as states). What the state
    /// itself holds on the heap comes on top (`StateFootprint`).
    static var bytesPerState: Int {
        MemoryLayout<State>.stride + 2 * (MemoryLayout<Int32>.stride + MemoryLayout<Int>.stride)
    }

    init(initialCapacity: Int = 64) {
        var capacity = 16
        while capacity < 2 * initialCapacity { capacity <<= 1 }
        self.capacity = capacity
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        slotId = .allocate(capacity: capacity)
        slotId.initialize(repeating: 0, count: capacity)
        slotHash = .allocate(capacity: capacity)
        storageCapacity = capacity / 2
        storage = .allocate(capacity: storageCapacity)
    }

    func deallocate() {
        storage.deinitialize(count: count)
        storage.deallocate()
        slotId.deallocate()
        slotHash.deallocate()
    }

    /// The state named `id`.
    @inline(__always)
    subscript(id: Int32) -> State {
        storage[Int(id)]
    }

    @inline(__always)
    private func slot(for hash: Int) -> Int {
        // Fibonacci hashing: the high bits of a multiplicative hash index the table.
        Int(truncatingIfNeeded: (UInt64(UInt(bitPattern: hash)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The id of `state`, adding it if it is new.
    mutating func intern(_ state: State) -> Int32 {
        let hash = state.hashValue
        let mask = capacity - 1
        var index = slot(for: hash)
        while true {
            let id = slotId[index]
            if id == 0 { break }
            if slotHash[index] == hash && storage[Int(id - 1)] == state { return id - 1 }
            index = (index + 1) & mask
        }
        let id = Int32(count)
        if count == storageCapacity {
            grow()
            return insertNew(state, hash: hash, id: id)
        }
        (storage + count).initialize(to: state)
        count += 1
        slotId[index] = id + 1
        slotHash[index] = hash
        return id
    }

    private mutating func insertNew(_ state: State, hash: Int, id: Int32) -> Int32 {
        (storage + count).initialize(to: state)
        count += 1
        place(id: id, hash: hash)
        return id
    }

    @inline(__always)
    private mutating func place(id: Int32, hash: Int) {
        let mask = capacity - 1
        var index = slot(for: hash)
        while slotId[index] != 0 { index = (index + 1) & mask }
        slotId[index] = id + 1
        slotHash[index] = hash
    }

    private mutating func grow() {
        let oldId = slotId, oldHash = slotHash, oldCapacity = capacity
        capacity *= 2
        shift -= 1
        slotId = .allocate(capacity: capacity)
        slotId.initialize(repeating: 0, count: capacity)
        slotHash = .allocate(capacity: capacity)
        for i in 0..<oldCapacity where oldId[i] != 0 { place(id: oldId[i] - 1, hash: oldHash[i]) }
        oldId.deallocate()
        oldHash.deallocate()
        let newStorageCapacity = capacity / 2
        let newStorage = UnsafeMutablePointer<State>.allocate(capacity: newStorageCapacity)
        newStorage.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        storageCapacity = newStorageCapacity
    }
}
