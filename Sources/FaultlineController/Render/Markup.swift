/// Escaping for the XML the JUnit writer emits and the HTML (with inline SVG) the report
/// emits. Journal text comes from probes, agents and plans: a probe's `detail` may quote a
/// server's answer verbatim, so anything may be in it (`]]>`, NUL, escape sequences).
enum Markup {
    /// Text content and attribute values: `&`, `<`, `>`, both quotes, and every character
    /// XML 1.0 cannot carry at all (C0 controls other than tab/newline/return, U+FFFE,
    /// U+FFFF) written as a visible `\u{…}` so the reader still sees that it was there.
    /// In attributes, tab/newline/return become character references so that a parser's
    /// attribute-value normalisation keeps them.
    static func escape(_ text: String, attribute: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r":
                if attribute { out += "&#\(scalar.value);" } else { out.unicodeScalars.append(scalar) }
            default:
                if isForbidden(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func attribute(_ text: String) -> String { escape(text, attribute: true) }

    /// Characters XML 1.0 forbids outright, plus DEL and the C1 controls, which XML allows
    /// but HTML calls parse errors and terminals interpret.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00...0x1F, 0x7F...0x9F, 0xFFFE, 0xFFFF: true
        default: false
        }
    }

    /// Removes what would be invalid even escaped (for text that must stay short and
    /// plain, e.g. a terminal line): controls become a visible `\u{…}` as above.
    static func plain(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" || scalar == "\t" { out += " " }
            else if isForbidden(scalar) { out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}" }
            else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
