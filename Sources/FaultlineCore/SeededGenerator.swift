/// A random number generator that replays: the same seed gives the same choices.
///
/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for choosing hosts
/// and workload values. Every random choice of a run draws from one of these, and the
/// journal records the seed, so `--seed N` repeats a run's choices exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one named purpose, independent of how many numbers others drew.
    public init(seed: UInt64, purpose: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a
        for byte in purpose.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        state = seed ^ hash
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
