/// A length of time as people write it in plans: `250ms`, `20s`, `1m30s`, `2h`.
///
/// Stored as whole nanoseconds. Units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`; several
/// may be combined from largest to smallest (`1h30m`, `1m30.5s`). A bare number is refused
/// because "is 100 seconds or milliseconds?" is the classic chaos-tool mistake (Toxiproxy's
/// bare integers of milliseconds). On the wire it travels as the same text.
public struct TimeSpan: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static func milliseconds(_ ms: Int64) -> TimeSpan { TimeSpan(nanoseconds: ms * 1_000_000) }
    public static func seconds(_ s: Int64) -> TimeSpan { TimeSpan(nanoseconds: s * 1_000_000_000) }
    public static let zero = TimeSpan(nanoseconds: 0)

    public var duration: Duration { .nanoseconds(nanoseconds) }
    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var milliseconds: Double { Double(nanoseconds) / 1e6 }

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(nanoseconds: a.nanoseconds &+ b.nanoseconds) }
    public static func - (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(nanoseconds: a.nanoseconds &- b.nanoseconds) }
    public static func * (a: TimeSpan, n: Int) -> TimeSpan { TimeSpan(nanoseconds: a.nanoseconds &* Int64(n)) }

    private static let units: [(suffix: String, nanos: Double)] = [
        ("h", 3_600e9), ("ms", 1e6), ("m", 60e9), ("s", 1e9), ("us", 1e3), ("µs", 1e3), ("ns", 1),
    ]
    private static let order: [String: Int] = ["h": 0, "m": 1, "s": 2, "ms": 3, "us": 4, "µs": 4, "ns": 5]

    /// Parses `1m30s`-style text. Returns a reason when the text is not a time span.
    public static func parse(_ text: String) -> Result<TimeSpan, UnitError> {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { return .failure(UnitError("an empty string is not a duration; write e.g. 250ms or 1m30s")) }
        var rest = Substring(trimmed)
        var total = 0.0
        var lastOrder = -1
        var negative = false
        if rest.first == "-" { negative = true; rest = rest.dropFirst() }
        while !rest.isEmpty {
            let numberText = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !numberText.isEmpty, let value = Double(numberText) else {
                return .failure(UnitError("'\(trimmed)' is not a duration; write a number with a unit, e.g. 250ms, 20s, 1m30s"))
            }
            rest = rest.dropFirst(numberText.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard !unitText.isEmpty else {
                return .failure(UnitError("'\(trimmed)' has no unit; write e.g. \(numberText)s or \(numberText)ms (units: ns, us, ms, s, m, h)"))
            }
            guard let unit = units.first(where: { $0.suffix == unitText }), let rank = order[String(unitText)] else {
                return .failure(UnitError("'\(unitText)' in '\(trimmed)' is not a time unit; use ns, us, ms, s, m or h"))
            }
            guard rank > lastOrder else {
                return .failure(UnitError("'\(trimmed)': write units from largest to smallest, each once (e.g. 1m30s)"))
            }
            lastOrder = rank
            total += value * unit.nanos
            rest = rest.dropFirst(unitText.count)
        }
        guard total <= 9.2e18 else { return .failure(UnitError("'\(trimmed)' is too long a duration")) }
        let nanos = Int64(total.rounded())
        return .success(TimeSpan(nanoseconds: negative ? -nanos : nanos))
    }

    public init?(_ text: String) {
        guard case .success(let span) = TimeSpan.parse(text) else { return nil }
        self = span
    }
}

extension TimeSpan: CustomStringConvertible {
    /// The shortest exact text in plan units: `1m30s`, `250ms`, `1.5ms`.
    public var description: String {
        if nanoseconds == 0 { return "0s" }
        var n = nanoseconds < 0 ? -nanoseconds : nanoseconds
        let sign = nanoseconds < 0 ? "-" : ""
        if n % 1_000_000_000 != 0 && n < 1_000_000_000 {
            if n % 1_000_000 == 0 { return "\(sign)\(n / 1_000_000)ms" }
            if n % 1_000 == 0 { return sign + TimeSpan.decimal(n, 1_000_000, "ms") }
            return "\(sign)\(n)ns"
        }
        var out = sign
        let h = n / 3_600_000_000_000; n %= 3_600_000_000_000
        let m = n / 60_000_000_000; n %= 60_000_000_000
        if h > 0 { out += "\(h)h" }
        if m > 0 { out += "\(m)m" }
        if n > 0 { out += n % 1_000_000_000 == 0 ? "\(n / 1_000_000_000)s" : TimeSpan.decimal(n, 1_000_000_000, "s") }
        return out
    }

    private static func decimal(_ n: Int64, _ unit: Int64, _ suffix: String) -> String {
        var fraction = String(n % unit)
        fraction = String(repeating: "0", count: String(unit).count - 1 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(n / unit).\(fraction)\(suffix)"
    }
}

extension TimeSpan: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        switch TimeSpan.parse(text) {
        case .success(let span): self = span
        case .failure(let error):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
