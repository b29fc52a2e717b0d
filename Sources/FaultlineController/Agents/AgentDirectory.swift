import FaultlineAgentAPI
import FaultlineCore
import FaultlinePlan
import Foundation

/// One `AgentClient` per inventory host, from the host's `agent:` URL.
///
/// `https://ADDR:PORT` speaks mutual TLS with the controller's certificate (`TLSFiles`);
/// `http://ADDR:PORT` is the insecure lab mode, with an optional bearer token.
public enum AgentDirectory {
    public struct URLError: Error, CustomStringConvertible, Sendable { public var description: String }

    public struct Parsed: Sendable, Hashable {
        public var secure: Bool
        public var address: String
        public var port: Int
    }

    /// Splits `https://10.0.0.7:7433` (or `http://[fd00::7]:7433`); default port 7433.
    public static func parse(_ url: String, host: String) throws(URLError) -> Parsed {
        let secure: Bool
        let rest: Substring
        if url.hasPrefix("https://") { secure = true; rest = url.dropFirst(8) }
        else if url.hasPrefix("http://") { secure = false; rest = url.dropFirst(7) }
        else { throw URLError(description: "host '\(host)': agent '\(url)' is not an https:// (or http://, insecure) URL") }
        var authority = rest.prefix { $0 != "/" }
        if rest.dropFirst(authority.count).contains(where: { $0 != "/" }) {
            throw URLError(description: "host '\(host)': agent '\(url)' has a path; give only scheme, address and port")
        }
        var port = 7433
        var address: Substring
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { throw URLError(description: "host '\(host)': agent '\(url)': unclosed '['") }
            address = authority[authority.index(after: authority.startIndex)..<close]
            authority = authority[authority.index(after: close)...]
            if authority.first == ":" {
                guard let p = Int(authority.dropFirst()), (1...65535).contains(p) else { throw URLError(description: "host '\(host)': agent '\(url)': bad port") }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            address = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw URLError(description: "host '\(host)': agent '\(url)': bad port")
            }
            port = p
        } else {
            address = authority
        }
        guard !address.isEmpty else { throw URLError(description: "host '\(host)': agent '\(url)' has no address") }
        return Parsed(secure: secure, address: String(address), port: port)
    }

    /// How the controller authenticates: the TLS files for https agents, the token for http ones.
    public struct Credentials: Sendable {
        public var tls: TLSFiles?
        public var bearerToken: String?
        public init(tls: TLSFiles?, bearerToken: String?) { self.tls = tls; self.bearerToken = bearerToken }
    }

    /// Clients for `hosts`; an unusable URL or unreadable certificate is an error naming the host.
    public static func clients(for hosts: [Host], credentials: Credentials, timeout: TimeSpan) throws -> [String: any AgentClient] {
        var out: [String: any AgentClient] = [:]
        var context: HTTPAgentClient.Security?
        for host in hosts {
            let parsed = try parse(host.agent, host: host.name)
            let endpoint = AgentEndpoint(name: host.name, address: parsed.address, port: parsed.port)
            let security: HTTPAgentClient.Security
            if parsed.secure {
                if context == nil {
                    guard let tls = credentials.tls else {
                        throw URLError(description: "host '\(host.name)': agent \(host.agent) needs mutual TLS, and no controller certificate was given (--certs)")
                    }
                    do { context = .mutualTLS(try tls.clientContext()) } catch {
                        throw URLError(description: "controller certificate (\(tls.certificate), \(tls.key), CA \(tls.ca)): \(error)")
                    }
                }
                security = context!
            } else {
                security = .insecure(bearerToken: credentials.bearerToken)
            }
            out[host.name] = HTTPAgentClient(endpoint: endpoint, security: security, timeout: timeout)
        }
        return out
    }
}
