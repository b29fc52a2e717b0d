import FaultlinePlan
import Foundation

extension Tolerance {
    /// Judges a measured value (a JSON value from `JSONSerialization`, a number, or text).
    /// Returns whether it meets the tolerance, the numeric value when there is one, and
    /// the observation in words ("0.12, expected < 0.05").
    func judge(_ observed: Any?) -> (ok: Bool, value: Double?, detail: String) {
        let text = Self.text(observed)
        let number = Self.number(observed)
        switch self {
        case .equals(let expected):
            // Numbers compare as numbers (`1` = `1.0`), everything else as text.
            let ok: Bool
            if let number, let e = Double(expected) { ok = number == e } else { ok = text == expected }
            return (ok, number, "\(text ?? "nothing"), expected \(description)")
        case .between(let lo, let hi):
            guard let number else { return (false, nil, "\(text ?? "nothing") is not a number, expected \(description)") }
            return (lo <= number && number <= hi, number, "\(Self.format(number)), expected \(description)")
        case .below(let limit):
            guard let number else { return (false, nil, "\(text ?? "nothing") is not a number, expected \(description)") }
            return (number < limit, number, "\(Self.format(number)), expected \(description)")
        case .above(let limit):
            guard let number else { return (false, nil, "\(text ?? "nothing") is not a number, expected \(description)") }
            return (number > limit, number, "\(Self.format(number)), expected \(description)")
        case .matches(let pattern):
            guard let regex = try? NSRegularExpression(pattern: pattern) else {
                return (false, number, "invalid regular expression /\(pattern)/")
            }
            let t = text ?? ""
            let ok = regex.firstMatch(in: t, range: NSRange(t.startIndex..., in: t)) != nil
            return (ok, number, "\(text ?? "nothing"), expected \(description)")
        }
    }

    static func number(_ value: Any?) -> Double? {
        switch value {
        case let n as NSNumber: return n.doubleValue
        case let d as Double: return d
        case let i as Int: return Double(i)
        // Prometheus sends sample values as strings ("0.5", "NaN", "+Inf").
        case let s as String: return Double(s.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    static func text(_ value: Any?) -> String? {
        switch value {
        case nil, is NSNull: return nil
        case let s as String: return s
        case let n as NSNumber:
            // JSONSerialization gives booleans as NSNumber of type "c" (char); JSON has no chars.
            if isBoolean(n) { return n.boolValue ? "true" : "false" }
            return format(n.doubleValue)
        case let b as Bool: return b ? "true" : "false"
        case let d as Double: return format(d)
        case let other?:
            if JSONSerialization.isValidJSONObject(other), let data = try? JSONSerialization.data(withJSONObject: other, options: [.sortedKeys]) {
                return String(decoding: data, as: UTF8.self)
            }
            return "\(other)"
        }
    }

    static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    static func format(_ d: Double) -> String {
        if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }
}
