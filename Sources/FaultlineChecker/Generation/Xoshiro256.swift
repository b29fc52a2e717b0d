/// xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018),
/// seeded through SplitMix64 as its authors recommend. Small, fast and reproducible from one
/// `UInt64` seed, which tests print on failure.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func nextSplitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = nextSplitMix(); s1 = nextSplitMix(); s2 = nextSplitMix(); s3 = nextSplitMix()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }
}
