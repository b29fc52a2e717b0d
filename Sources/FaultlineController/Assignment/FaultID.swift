/// Fault ids as agents accept them: 1 to 64 of `[A-Za-z0-9_-]` (they become nftables
/// table names and ledger keys on the agent).
///
/// Shape: `fl-<run>-<step>-<host>`: the run's short id, the fault step's sequence number
/// in this run (every execution of a step inside a `repeat` gets its own), and the host
/// name with any other character replaced by `_`. A name too long to fit is cut and a
/// hash of the full name appended, so two long names still get two ids.
public enum FaultID {
    public static let maxLength = 64

    public static func make(run: String, step: Int, host: String) -> String {
        let head = "fl-\(sanitize(run))-\(step)-"
        var tail = sanitize(host)
        if tail.isEmpty { tail = "_" }
        if head.utf8.count + tail.utf8.count <= maxLength { return head + tail }
        let hash = String(fnv1a(host) & 0xFFFF_FFFF, radix: 16)
        let room = max(0, maxLength - head.utf8.count - hash.utf8.count - 1)
        return String((head + String(tail.prefix(room)) + "_" + hash).prefix(maxLength))
    }

    /// A short run id (8 hex digits) drawn from a generator, for `fl-<run>-…`.
    public static func runShort<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let text = String(UInt32.random(in: 0...UInt32.max, using: &generator), radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }

    public static func isValid(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maxLength && id.unicodeScalars.allSatisfy(isAllowed)
    }

    static func sanitize(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { isAllowed($0) ? $0 : "_" }))
    }

    static func isAllowed(_ s: Unicode.Scalar) -> Bool {
        s.isASCII && (("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "-" || s == "_")
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
