/// Decides, per packet, what the delay engine does: drop it, how long to hold it, whether to
/// duplicate it. Pure and seeded, so a run can be replayed.
///
/// Jitter is uniform in [-jitter, +jitter] around the delay (netem's default when no
/// distribution table is given), correlated like netem: each sample is
/// `(1 - ρ) · fresh + ρ · previous`, with ρ = correlation / 100. The held time is never
/// negative.
struct DelaySampler: Sendable {
    let delayNanoseconds: Double
    let jitterNanoseconds: Double
    let correlation: Double
    let lossFraction: Double
    let duplicateFraction: Double
    private var random: SplitMix64
    private var previousJitter: Double = 0

    init(delay: Duration, jitter: Duration, correlationPercent: Double, lossPercent: Double,
         duplicatePercent: Double, seed: UInt64) {
        delayNanoseconds = delay.nanoseconds
        jitterNanoseconds = jitter.nanoseconds
        correlation = correlationPercent / 100
        lossFraction = lossPercent / 100
        duplicateFraction = duplicatePercent / 100
        random = SplitMix64(seed: seed)
    }

    enum Decision: Equatable {
        case drop
        case hold(nanoseconds: UInt64, duplicate: Bool)
    }

    mutating func decide() -> Decision {
        if lossFraction > 0 && random.nextUnit() < lossFraction { return .drop }
        var held = delayNanoseconds
        if jitterNanoseconds > 0 {
            let fresh = (random.nextUnit() * 2 - 1) * jitterNanoseconds
            let sample = (1 - correlation) * fresh + correlation * previousJitter
            previousJitter = sample
            held += sample
        }
        let duplicate = duplicateFraction > 0 && random.nextUnit() < duplicateFraction
        return .hold(nanoseconds: UInt64(max(0, held)), duplicate: duplicate)
    }
}

/// SplitMix64: tiny, fast, good enough for sampling, and seedable.
struct SplitMix64: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension Duration {
    var nanoseconds: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}
