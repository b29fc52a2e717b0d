/// The state of one key of the key-value model: its string, with a fingerprint kept up to
/// date on every put and append, so that hashing a state costs O(1) instead of O(length).
///
/// The fingerprint is a polynomial hash modulo the Mersenne prime 2^61 − 1; appending `v`
/// to `s` gives `h(s)·B^|v| + h(v)`. It is only a hash: equality still compares the strings
/// (after the fingerprints and lengths, which settle almost every unequal pair).
public struct KeyValueState: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    let length: Int
    let fingerprint: UInt64

    static let prime: UInt64 = (1 << 61) - 1
    static let base: UInt64 = 1_000_003

    public init(_ text: String) {
        let part = KeyValueState.Part(text)
        self.init(text: text, length: part.length, fingerprint: part.fingerprint)
    }

    init(text: String, length: Int, fingerprint: UInt64) {
        self.text = text
        self.length = length
        self.fingerprint = fingerprint
    }

    /// A value with its fingerprint and `base^length`, computed once per operation.
    public struct Part: Hashable, Sendable {
        public let text: String
        let length: Int
        let fingerprint: UInt64
        let power: UInt64

        public init(_ text: String) {
            var fingerprint: UInt64 = 0
            var power: UInt64 = 1
            var length = 0
            for byte in text.utf8 {
                fingerprint = KeyValueState.add(KeyValueState.multiply(fingerprint, KeyValueState.base), UInt64(byte) + 1)
                power = KeyValueState.multiply(power, KeyValueState.base)
                length += 1
            }
            self.text = text
            self.length = length
            self.fingerprint = fingerprint
            self.power = power
        }
    }

    func appending(_ part: Part) -> KeyValueState {
        KeyValueState(text: text + part.text, length: length + part.length,
                      fingerprint: Self.add(Self.multiply(fingerprint, part.power), part.fingerprint))
    }

    /// Whether this state's string is `part`'s text (fingerprint and length first).
    func equals(_ part: Part) -> Bool {
        fingerprint == part.fingerprint && length == part.length && text == part.text
    }

    public static func == (a: KeyValueState, b: KeyValueState) -> Bool {
        a.fingerprint == b.fingerprint && a.length == b.length && a.text == b.text
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fingerprint)
    }

    /// The hash dictionaries use, taken straight from the fingerprint: the search interns
    /// every new state, and SipHash's finalisation was the largest single cost of that
    /// (callgrind, Porcupine's c50-ok). The fingerprint is already well mixed; `seed` keeps
    /// per-dictionary seeding.
    public func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: splitMix64(fingerprint ^ UInt64(truncatingIfNeeded: seed)))
    }

    public var description: String { Operation.show(text) }

    @inline(__always) static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        // (high·2^64 + low) mod (2^61 − 1), with 2^64 ≡ 2^3.
        let folded = (low & prime) + (low >> 61) + (high << 3)
        return folded % prime
    }

    @inline(__always) static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let sum = a + b
        return sum >= prime ? sum - prime : sum
    }
}

extension KeyValueState: StateFootprint {
    /// The string's bytes when they live on the heap (Swift keeps up to 15 UTF-8 bytes
    /// inline), plus its allocation header.
    var heapBytes: Int { length > 15 ? length + 32 : 0 }
}
