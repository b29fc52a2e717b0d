/// The search's cache of visited configurations: (set of linearized operations, model
/// state) pairs, as in Lowe's refinement of Wing & Gong's algorithm and in Porcupine.
///
/// Layout, chosen for the hot loop: open addressing with linear probing over two flat
/// arrays (slot hash, slot entry); entries keep their state id and their bitset in one
/// arena of `words` UInt64 per entry. No allocation per insertion apart from amortised
/// growth. The caller passes the hash of the configuration (an incremental Zobrist hash
/// of the bitset mixed with the state id), so the set never rehashes bitsets. Equality is
/// exact: hashes, state ids and every word of the bitsets are compared.
///
/// A `struct` owning raw memory: the search keeps it in a local variable (so exclusivity
/// is checked statically, not at run time) and calls `deallocate()` when done.
struct VisitedSet {
    let words: Int
    private var slotHash: UnsafeMutablePointer<UInt64>
    private var slotEntry: UnsafeMutablePointer<Int32>   // entry index + 1; 0 = empty
    private var capacity: Int                            // power of two
    private var shift: UInt64                            // 64 - log2(capacity)
    private(set) var count = 0
    private var entryState: UnsafeMutablePointer<Int32>
    private var arena: UnsafeMutablePointer<UInt64>
    private var entryCapacity: Int

    init(words: Int, initialCapacity: Int = 1024) {
        self.words = max(words, 1)
        var capacity = 16
        while capacity < initialCapacity { capacity <<= 1 }
        self.capacity = capacity
        self.shift = UInt64(64 - capacity.trailingZeroBitCount)
        slotHash = .allocate(capacity: capacity)
        slotEntry = .allocate(capacity: capacity)
        slotEntry.initialize(repeating: 0, count: capacity)
        slotHash.initialize(repeating: 0, count: capacity)
        entryCapacity = capacity / 2
        entryState = .allocate(capacity: entryCapacity)
        arena = .allocate(capacity: entryCapacity * self.words)
    }

    func deallocate() {
        slotHash.deallocate()
        slotEntry.deallocate()
        entryState.deallocate()
        arena.deallocate()
    }

    /// True when the next new configuration makes the set double its memory.
    var isFull: Bool { count == entryCapacity }
    var capacityForEntries: Int { entryCapacity }

    /// Bytes the set holds now, which is also how much more it takes when it doubles.
    var bytes: Int { capacity * (8 + 4) + entryCapacity * (4 + 8 * words) }

    @inline(__always)
    private func slot(for hash: UInt64) -> Int {
        // Fibonacci hashing: the high bits of a multiplicative hash index the table.
        Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Inserts the configuration unless present. Returns true if it was not there.
    @inline(__always)
    mutating func insert(hash: UInt64, state: Int32, bits: UnsafePointer<UInt64>) -> Bool {
        let mask = capacity - 1
        var index = slot(for: hash)
        while true {
            let entry = slotEntry[index]
            if entry == 0 { break }
            if slotHash[index] == hash {
                let e = Int(entry - 1)
                if entryState[e] == state {
                    let stored = arena + e * words
                    var same = true
                    for w in 0..<words where stored[w] != bits[w] {
                        same = false
                        break
                    }
                    if same { return false }
                }
            }
            index = (index + 1) & mask
        }
        if count == entryCapacity {
            grow()
            index = slot(for: hash)
            let grownMask = capacity - 1
            while slotEntry[index] != 0 { index = (index + 1) & grownMask }
        }
        let e = count
        count += 1
        entryState[e] = state
        (arena + e * words).update(from: bits, count: words)
        slotHash[index] = hash
        slotEntry[index] = Int32(e + 1)
        return true
    }

    private mutating func grow() {
        let oldCapacity = capacity
        let oldHash = slotHash
        let oldEntry = slotEntry
        capacity *= 2
        shift -= 1
        slotHash = .allocate(capacity: capacity)
        slotEntry = .allocate(capacity: capacity)
        slotHash.initialize(repeating: 0, count: capacity)
        slotEntry.initialize(repeating: 0, count: capacity)
        let mask = capacity - 1
        for i in 0..<oldCapacity where oldEntry[i] != 0 {
            var index = slot(for: oldHash[i])
            while slotEntry[index] != 0 { index = (index + 1) & mask }
            slotHash[index] = oldHash[i]
            slotEntry[index] = oldEntry[i]
        }
        oldHash.deallocate()
        oldEntry.deallocate()

        let newEntryCapacity = capacity / 2
        let newStates = UnsafeMutablePointer<Int32>.allocate(capacity: newEntryCapacity)
        newStates.moveInitialize(from: entryState, count: count)
        entryState.deallocate()
        entryState = newStates
        let newArena = UnsafeMutablePointer<UInt64>.allocate(capacity: newEntryCapacity * words)
        newArena.moveInitialize(from: arena, count: count * words)
        arena.deallocate()
        arena = newArena
        entryCapacity = newEntryCapacity
    }
}
