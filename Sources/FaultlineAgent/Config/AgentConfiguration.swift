import FaultlineAgentAPI
import FaultlineCore
import Foundation
import Logging
import Yams

/// The agent's configuration file (YAML; every field in Agents/agent.yaml).
///
/// Unknown keys are errors, not silently ignored: a misspelt `polcy:` would otherwise run
/// an agent with the default policy. Errors name the file, the field and what was expected.
public struct AgentConfiguration: Sendable, Hashable {
    public var listenHost = "0.0.0.0"
    public var listenPort = 7433
    public var hostName: String = ProcessInfo.processInfo.hostName
    /// nil: insecure (plaintext) mode.
    public var tls: TLSFiles?
    public var bearerToken: String?
    /// Serials the agent refuses though they chain to the CA (`faultline certs revoke`);
    /// `tls.deny-list`, by default `revoked-serials` beside the CA. A missing file is an
    /// empty list.
    public var denyList: String?
    public var ledger = "/var/lib/faultline/ledger.jsonl"
    public var controllers: [String] = []
    public var networkNamespace: String?
    public var device: String?
    public var restart: [String: [String]] = [:]
    public var policy = AgentPolicy()
    /// `log-level`: trace, debug, info (the default), notice, warning, error, critical.
    public var logLevel: Logger.Level = .info
    /// `log-format`: text (the default) or json.
    public var logFormat: AgentLogFormat = .text

    public init() {}

    public struct ConfigError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static func load(path: String) throws(ConfigError) -> AgentConfiguration {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(description: "\(path): cannot read: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> AgentConfiguration {
        func fail(_ field: String, _ message: String) -> ConfigError {
            ConfigError(description: "\(file): \(field.isEmpty ? "" : "\(field): ")\(message)")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw fail("", "the file is empty; expected a mapping with at least `tls` or `tls.insecure: true`") }
            root = node
        } catch let error as ConfigError { throw error } catch {
            throw fail("", "not valid YAML: \(error)")
        }
        guard let map = root.mapping else { throw fail("", "expected a mapping at the top level") }
        var config = AgentConfiguration()
        let known = ["listen", "host-name", "tls", "ledger", "controllers", "network-namespace", "device", "restart", "policy", "log-level", "log-format"]
        for (key, value) in map {
            guard let name = key.string else { throw fail("", "keys must be strings") }
            guard known.contains(name) else {
                throw fail(name, "unknown field (line \(key.mark?.line ?? 0)); expected one of \(known.joined(separator: ", "))")
            }
            switch name {
            case "listen":
                guard let text = value.string, let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                      (1...65535).contains(port) else { throw fail("listen", "expected ADDRESS:PORT such as 0.0.0.0:7433") }
                config.listenHost = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                config.listenPort = port
            case "log-level":
                guard let text = value.string else { throw fail("log-level", "expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))") }
                switch Logger.Level.parse(text) {
                case .success(let level): config.logLevel = level
                case .failure(let error): throw fail("log-level", "\(error) (line \(value.mark?.line ?? 0))")
                }
            case "log-format":
                guard let text = value.string else { throw fail("log-format", "expected text or json") }
                switch AgentLogFormat.parse(text) {
                case .success(let format): config.logFormat = format
                case .failure(let error): throw fail("log-format", "\(error) (line \(value.mark?.line ?? 0))")
                }
            case "host-name":
                guard let text = value.string, !text.isEmpty else { throw fail("host-name", "expected a name") }
                config.hostName = text
            case "ledger":
                guard let text = value.string, text.hasPrefix("/") else { throw fail("ledger", "expected an absolute path") }
                config.ledger = text
            case "network-namespace":
                if value.null != nil { continue }
                guard let text = value.string, !text.isEmpty else { throw fail("network-namespace", "expected a name under /run/netns or an absolute path") }
                config.networkNamespace = text
            case "device":
                if value.null != nil { continue }
                guard let text = value.string, !text.isEmpty, text.utf8.count <= 15 else { throw fail("device", "expected an interface name") }
                config.device = text
            case "controllers":
                guard let list = value.sequence else { throw fail("controllers", "expected a list of addresses or CIDRs") }
                config.controllers = try list.enumerated().map { i, item throws(ConfigError) in
                    guard let text = item.string, CIDR(text) != nil else { throw fail("controllers[\(i)]", "expected an address or CIDR such as 10.0.0.5/32") }
                    return text.contains("/") ? text : (text.contains(":") ? text + "/128" : text + "/32")
                }
            case "restart":
                if value.null != nil { continue }
                guard let restartMap = value.mapping else { throw fail("restart", "expected a mapping of process name to argv list") }
                for (k, v) in restartMap {
                    guard let process = k.string else { throw fail("restart", "keys must be process names") }
                    guard let argv = v.sequence?.compactMap(\.string), !argv.isEmpty, argv.count == v.sequence?.count, argv[0].hasPrefix("/") else {
                        throw fail("restart.\(process)", "expected an argv list starting with an absolute path, such as [/usr/bin/systemctl, restart, etcd]; shell strings are not accepted")
                    }
                    config.restart[process] = argv
                }
            case "tls":
                guard let tlsMap = value.mapping else { throw fail("tls", "expected a mapping with ca, certificate, key (or insecure: true)") }
                var files: [String: String] = [:]
                var insecure = false
                for (k, v) in tlsMap {
                    let field = k.string ?? ""
                    switch field {
                    case "ca", "certificate", "key", "deny-list":
                        guard let text = v.string, text.hasPrefix("/") else { throw fail("tls.\(field)", field == "deny-list" ? "expected an absolute path" : "expected an absolute path to a PEM file") }
                        files[field] = text
                    case "insecure":
                        guard let flag = v.bool else { throw fail("tls.insecure", "expected true or false") }
                        insecure = flag
                    case "bearer-token":
                        if v.null != nil { continue }
                        guard let text = v.string, text.utf8.count >= 16 else { throw fail("tls.bearer-token", "expected a token of at least 16 characters") }
                        config.bearerToken = text
                    default:
                        throw fail("tls.\(field)", "unknown field; expected ca, certificate, key, deny-list, insecure, bearer-token")
                    }
                }
                if insecure {
                    config.tls = nil
                } else {
                    guard let ca = files["ca"], let certificate = files["certificate"], let key = files["key"] else {
                        throw fail("tls", "mutual TLS needs ca, certificate and key (`faultline certs init` and `faultline certs issue agent NAME` make them); or set insecure: true for a throwaway lab")
                    }
                    config.tls = TLSFiles(ca: ca, certificate: certificate, key: key)
                    config.denyList = files["deny-list"]
                        ?? (ca as NSString).deletingLastPathComponent + "/" + CertificateDenyList.fileName
                }
            case "policy":
                let policyKeys = ["allowed-kinds", "max-concurrent-faults", "max-lease-seconds", "interfaces", "process-names", "allow-host-clock"]
                for k in value.mapping.map { Array($0.keys) } ?? [] where !policyKeys.contains(k.string ?? "") {
                    throw fail("policy.\(k.string ?? "?")", "unknown field (line \(k.mark?.line ?? 0)); expected one of \(policyKeys.joined(separator: ", "))")
                }
                do {
                    config.policy = try YAMLDecoder().decode(AgentPolicy.self, from: Yams.serialize(node: value))
                } catch {
                    throw fail("policy", "\(error)")
                }
            default: break
            }
        }
        if map["tls"] == nil {
            throw fail("tls", "missing; mutual TLS is the default: give ca, certificate and key, or set insecure: true for a throwaway lab")
        }
        return config
    }
}
