/// A percentage from 0 to 100 inclusive, written `12.5%` (the `%` may be left off: `12.5`).
///
/// Kept as a Double of percentage points (12.5 means one in eight). Travels on the wire as
/// the number of points.
public struct Percent: Hashable, Comparable, Sendable, Codable {
    public var points: Double

    public init(points: Double) { self.points = points }
    public var fraction: Double { points / 100 }

    public static func < (a: Percent, b: Percent) -> Bool { a.points < b.points }

    public static func parse(_ text: String) -> Result<Percent, UnitError> {
        var t = text.trimmingWhitespace()
        if t.hasSuffix("%") { t.removeLast(); t = t.trimmingWhitespace() }
        guard let value = Double(t), value.isFinite else {
            return .failure(UnitError("'\(text)' is not a percentage; write e.g. 10% or 12.5%"))
        }
        guard value >= 0, value <= 100 else {
            return .failure(UnitError("\(text) is outside 0% to 100%"))
        }
        return .success(Percent(points: value))
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Double.self)
        guard value >= 0, value <= 100 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(value) is outside 0 to 100 percent"))
        }
        points = value
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(points)
    }
}

extension Percent: CustomStringConvertible {
    public var description: String {
        points == points.rounded() ? "\(Int(points))%" : "\(points)%"
    }
}
