/// An amount of bytes, as tc(8) writes sizes: `1500b` (or `1500`), `64kb` = 64 KiB,
/// `1mb` = 1 MiB, `1gb` = 1 GiB (binary prefixes, like tc's `burst` and `limit`).
/// `kib`/`mib`/`gib` are accepted as the same binary units.
public struct ByteSize: Hashable, Comparable, Sendable {
    public var bytes: UInt64
    public init(bytes: UInt64) { self.bytes = bytes }
    public static func < (a: ByteSize, b: ByteSize) -> Bool { a.bytes < b.bytes }

    private static let units: [(String, UInt64)] = [
        ("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10),
        ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30),
        ("b", 1), ("", 1),
    ]

    public static func parse(_ text: String) -> Result<ByteSize, UnitError> {
        let t = text.trimmingWhitespace().lowercased()
        let numberText = t.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unitText = t.dropFirst(numberText.count).trimmingWhitespace()
        guard let value = Double(numberText), value.isFinite, value >= 0 else {
            return .failure(UnitError("'\(text)' is not a size; write e.g. 1500b, 64kb or 1mb"))
        }
        guard let unit = units.first(where: { $0.0 == unitText }) else {
            return .failure(UnitError("'\(unitText)' is not a size unit; use b, kb, mb or gb (binary: 1kb = 1024 bytes, as tc)"))
        }
        let bytes = value * Double(unit.1)
        guard bytes < 1.8e19 else { return .failure(UnitError("\(text) is too large a size")) }
        return .success(ByteSize(bytes: UInt64(bytes.rounded())))
    }
}

extension ByteSize: CustomStringConvertible {
    public var description: String {
        for (suffix, scale) in [("gb", UInt64(1) << 30), ("mb", 1 << 20), ("kb", 1 << 10)] where bytes >= scale && bytes % scale == 0 {
            return "\(bytes / scale)\(suffix)"
        }
        return "\(bytes)b"
    }
}

extension ByteSize: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(UInt64.self) { bytes = n; return }
        let text = try c.decode(String.self)
        switch ByteSize.parse(text) {
        case .success(let s): self = s
        case .failure(let e): throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: e.message))
        }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(bytes)
    }
}
