/// A data rate, as `tc` writes it: `500kbit`, `10mbit`, `1gbit` are bits per second
/// (decimal prefixes: 1 kbit = 1000 bit/s); `kbps`, `mbps`, `gbps` are BYTES per second,
/// as in tc(8) — a common source of factor-eight mistakes, so the plan documentation
/// says it twice. `bit` and `bps` alone are bits and bytes per second.
public struct Rate: Hashable, Comparable, Sendable {
    public var bitsPerSecond: UInt64

    public init(bitsPerSecond: UInt64) { self.bitsPerSecond = bitsPerSecond }
    public var bytesPerSecond: UInt64 { bitsPerSecond / 8 }
    public static func < (a: Rate, b: Rate) -> Bool { a.bitsPerSecond < b.bitsPerSecond }

    private static let units: [(String, Double)] = [
        ("tbit", 1e12), ("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1),
        ("tbps", 8e12), ("gbps", 8e9), ("mbps", 8e6), ("kbps", 8e3), ("bps", 8),
    ]

    public static func parse(_ text: String) -> Result<Rate, UnitError> {
        let t = text.trimmingWhitespace().lowercased()
        let numberText = t.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unitText = t.dropFirst(numberText.count).trimmingWhitespace()
        guard let value = Double(numberText), value.isFinite else {
            return .failure(UnitError("'\(text)' is not a rate; write e.g. 500kbit, 10mbit or 1gbit"))
        }
        guard !unitText.isEmpty else {
            return .failure(UnitError("'\(text)' has no unit; write e.g. \(numberText)mbit (bits/s) or \(numberText)mbps (bytes/s)"))
        }
        guard let unit = units.first(where: { $0.0 == unitText }) else {
            return .failure(UnitError("'\(unitText)' is not a rate unit; use bit, kbit, mbit, gbit, tbit (bits/s) or bps, kbps, mbps, gbps (bytes/s)"))
        }
        let bits = value * unit.1
        guard bits >= 8 else { return .failure(UnitError("\(text) is below the smallest rate, 8bit")) }
        guard bits < 1.8e19 else { return .failure(UnitError("\(text) is too large a rate")) }
        return .success(Rate(bitsPerSecond: UInt64(bits.rounded())))
    }
}

extension Rate: CustomStringConvertible {
    public var description: String {
        for (suffix, scale) in [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3)] where Double(bitsPerSecond) >= scale {
            let v = Double(bitsPerSecond) / scale
            return v == v.rounded() ? "\(Int(v))\(suffix)" : "\(v)\(suffix)"
        }
        return "\(bitsPerSecond)bit"
    }
}

extension Rate: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        switch Rate.parse(text) {
        case .success(let r): self = r
        case .failure(let e): throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: e.message))
        }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode("\(bitsPerSecond)bit")
    }
}
