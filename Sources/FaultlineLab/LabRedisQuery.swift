import FaultlineWorkloads
import Foundation

/// Questions the lab asks its Redis servers and Sentinels over RESP (FaultlineWorkloads'
/// blocking `RESPConnection`, one connection per question).
public enum LabRedisQuery {
    /// What `INFO replication` says about one server.
    public struct Replication: Sendable, Equatable {
        /// "master" or "slave", as Redis spells them.
        public var role: String
        /// A replica's primary and whether its link to it is up.
        public var primaryAddress: String?
        public var linkUp: Bool
        /// A primary's connected replicas.
        public var connectedReplicas: Int
        public var isPrimary: Bool { role == "master" }
    }

    /// What one Sentinel knows of the monitored primary (`SENTINEL master faultline`).
    public struct SentinelView: Sendable, Equatable {
        public var primaryAddress: String
        public var replicas: Int
        public var otherSentinels: Int
        /// Sentinel's flags for the primary ("master", "master,s_down,o_down", ...).
        public var flags: String
        /// Grows with every failover; of two Sentinels' views the higher epoch is newer.
        public var configEpoch: Int
    }

    public static func replication(address: String, timeout: TimeInterval = 1) throws -> Replication {
        let text = try bulk(["INFO", "replication"], address: address, port: LabRedis.port, timeout: timeout)
        return try parseReplication(text)
    }

    public static func sentinelView(address: String, timeout: TimeInterval = 1) throws -> SentinelView {
        let reply = try ask(["SENTINEL", "master", LabRedisConfig.masterName], address: address, port: LabRedis.sentinelPort, timeout: timeout)
        guard case .array(let items?) = reply else { throw LabError.invalid("sentinel at \(address): unexpected reply \(reply)") }
        var fields: [String: String] = [:]
        var i = 0
        while i + 1 < items.count {
            if case .bulkString(let k?) = items[i], case .bulkString(let v?) = items[i + 1] {
                fields[String(decoding: k, as: UTF8.self)] = String(decoding: v, as: UTF8.self)
            }
            i += 2
        }
        return try parseSentinelView(fields)
    }

    /// The primary's address as the Sentinel at `address` names it.
    public static func sentinelPrimary(address: String, timeout: TimeInterval = 1) throws -> String {
        let reply = try ask(["SENTINEL", "get-master-addr-by-name", LabRedisConfig.masterName],
                            address: address, port: LabRedis.sentinelPort, timeout: timeout)
        guard case .array(let items?) = reply, case .bulkString(let ip?) = items.first else {
            throw LabError.invalid("sentinel at \(address): unexpected reply \(reply)")
        }
        return String(decoding: ip, as: UTF8.self)
    }

    /// True when the server or Sentinel at `address:port` answers PING.
    public static func answers(address: String, port: Int, timeout: TimeInterval = 1) -> Bool {
        (try? ask(["PING"], address: address, port: port, timeout: timeout)) == .simpleString("PONG")
    }

    /// SET through the server at `address` (a replica answers READONLY: thrown).
    public static func set(key: String, value: String, address: String, timeout: TimeInterval = 1) throws {
        let reply = try ask(["SET", key, value], address: address, port: LabRedis.port, timeout: timeout)
        guard reply == .simpleString("OK") else { throw LabError.invalid("redis at \(address): SET \(key) answered \(reply)") }
    }

    /// GET through the server at `address`; nil when the key is missing.
    public static func get(key: String, address: String, timeout: TimeInterval = 1) throws -> String? {
        switch try ask(["GET", key], address: address, port: LabRedis.port, timeout: timeout) {
        case .bulkString(let bytes): return bytes.map { String(decoding: $0, as: UTF8.self) }
        case let other: throw LabError.invalid("redis at \(address): GET \(key) answered \(other)")
        }
    }

    // MARK: - Pure parsing

    /// `INFO` text ("key:value" lines, "# Section" headings) as a dictionary.
    static func parseInfo(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return out
    }

    static func parseReplication(_ text: String) throws -> Replication {
        let info = parseInfo(text)
        guard let role = info["role"] else { throw LabError.invalid("INFO replication has no role line") }
        return Replication(role: role, primaryAddress: info["master_host"], linkUp: info["master_link_status"] == "up",
                           connectedReplicas: Int(info["connected_slaves"] ?? "") ?? 0)
    }

    static func parseSentinelView(_ fields: [String: String]) throws -> SentinelView {
        guard let ip = fields["ip"], let flags = fields["flags"] else {
            throw LabError.invalid("SENTINEL master answered without ip/flags: \(fields.keys.sorted())")
        }
        return SentinelView(primaryAddress: ip, replicas: Int(fields["num-slaves"] ?? "") ?? 0,
                            otherSentinels: Int(fields["num-other-sentinels"] ?? "") ?? 0, flags: flags,
                            configEpoch: Int(fields["config-epoch"] ?? "") ?? 0)
    }

    // MARK: - I/O

    private static func ask(_ command: [String], address: String, port: Int, timeout: TimeInterval) throws -> RESPValue {
        let duration = Duration.milliseconds(Int64(timeout * 1000))
        let connection = RESPConnection(host: address, port: UInt16(port), connectTimeout: duration)
        defer { connection.close() }
        do {
            return try connection.command(command, timeout: duration)
        } catch {
            throw LabError.invalid("redis at \(address):\(port): \(command.joined(separator: " ")): \(error)")
        }
    }

    private static func bulk(_ command: [String], address: String, port: Int, timeout: TimeInterval) throws -> String {
        let reply = try ask(command, address: address, port: port, timeout: timeout)
        guard case .bulkString(let bytes?) = reply else { throw LabError.invalid("redis at \(address):\(port): unexpected reply \(reply)") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
