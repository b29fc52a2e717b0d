import Foundation

/// Number, time and date text shared by the renderers. Locale-free on purpose: the same
/// journal must render to the same bytes on every machine (reports are compared in tests
/// and diffed by people).
enum RenderFormat {
    /// `x` with exactly `digits` decimals, `.` as separator.
    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
        let scale = pow(10.0, Double(digits))
        let scaled = (abs(x) * scale).rounded()
        let whole = Int64(scaled / scale)
        let fraction = Int64(scaled - Double(whole) * scale)
        let sign = (x < 0 && scaled != 0) ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        let fractionText = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: max(0, digits - fractionText.count)) + fractionText
    }

    /// A value as measured: integers without decimals (`200`), others with up to three.
    static func value(_ x: Double) -> String {
        if x.isFinite, x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        var text = fixed(x, 3)
        while text.contains("."), text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Seconds since the run started: `t+12.345s`.
    static func offset(_ t: Double) -> String { "t+" + fixed(t, 3) + "s" }

    /// A length of time for people: `850ms`, `12.3s`, `4m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds < 1 { return String(Int64((seconds * 1000).rounded())) + "ms" }
        if seconds < 60 { return fixed(seconds, 1) + "s" }
        let total = Int64(seconds.rounded())
        if total < 3600 { return "\(total / 60)m" + pad2(total % 60) + "s" }
        return "\(total / 3600)h" + pad2((total % 3600) / 60) + "m"
    }

    /// Elapsed time on a clock face: `01:05`, `1:02:03`.
    static func clock(_ seconds: Double) -> String {
        let total = max(0, Int64(seconds.isFinite ? seconds.rounded(.down) : 0))
        if total >= 3600 { return "\(total / 3600):" + pad2((total % 3600) / 60) + ":" + pad2(total % 60) }
        return pad2(total / 60) + ":" + pad2(total % 60)
    }

    /// Wall-clock time in UTC with milliseconds: `2026-11-22T04:39:25.123Z`. Rounded to
    /// the nearest millisecond by hand: Foundation's style truncates, so a time read back
    /// from its own text (a hair below the millisecond in binary) would print 1 ms early.
    static func wall(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let fraction = ms - seconds * 1000
        let base = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
        let digits = String(fraction)
        return String(base.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Reads `wall`'s text (or any ISO 8601 time with or without fractional seconds).
    static func parseWall(_ text: String) -> Date? {
        if text.hasSuffix("Z"), let dot = text.lastIndex(of: "."),
           let fraction = Double("0" + text[dot..<text.index(before: text.endIndex)]),
           let base = try? Date.ISO8601FormatStyle().parse(String(text[..<dot]) + "Z") {
            return Date(timeIntervalSince1970: base.timeIntervalSince1970 + fraction)
        }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    private static func pad2(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
