import Foundation

extension Journal {
    /// The journal file's bytes (docs/journal-format.md): pretty-printed JSON, keys sorted
    /// (stable diffs), wall-clock times as ISO 8601 UTC with milliseconds (JSONEncoder's
    /// default would write seconds since 2001, which no other tool reads).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(RenderFormat.wall(date))
        }
        return try encoder.encode(self)
    }

    /// Reads a journal file written by `encoded()`.
    public static func decode(_ data: Data) throws -> Journal {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            if let date = RenderFormat.parseWall(text) { return date }
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected an ISO 8601 time such as 2026-11-22T04:39:25.123Z, found '\(text)'")
        }
        return try decoder.decode(Journal.self, from: data)
    }
}
