/// An `http://` or `https://host[:port]/path?query` URL split for a probe's connection.
///
/// Parsed by hand because probes only ever speak HTTP(S) to a host and port, and a
/// precise refusal ("port '99999' is not a number 1-65535") beats Foundation's silence.
struct ProbeURL: Sendable, Hashable {
    var host: String
    var port: UInt16
    /// Path and query, as sent on the request line.
    var target: String
    /// `https://`: spoken over TLS (`HTTPSExchange`).
    var secure = false

    struct Invalid: Error, CustomStringConvertible { var description: String }

    static func parse(_ text: String) throws(Invalid) -> ProbeURL {
        let secure = text.hasPrefix("https://")
        guard secure || text.hasPrefix("http://") else { throw Invalid(description: "'\(text)' is not an http:// or https:// URL") }
        let rest = text.dropFirst(secure ? "https://".count : "http://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty { target = "/" } else if target.first == "?" { target = "/" + target }
        var host: Substring
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { throw Invalid(description: "'\(text)': unclosed '[' in the host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.first == ":" { portText = after.dropFirst() } else if !after.isEmpty { throw Invalid(description: "'\(text)': unexpected '\(after)' after the host") }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw Invalid(description: "'\(text)' has no host") }
        var port: UInt16 = secure ? 443 : 80
        if let portText {
            guard let p = UInt16(portText), p > 0 else { throw Invalid(description: "'\(text)': port '\(portText)' is not a number 1-65535") }
            port = p
        }
        return ProbeURL(host: String(host), port: port, target: target, secure: secure)
    }
}
