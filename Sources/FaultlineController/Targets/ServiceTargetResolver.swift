import FaultlineCore
import FaultlinePlan
import FaultlineWorkloads
import Foundation

/// The built-in dynamic selections, answered by asking the service on each candidate.
///
/// - etcd: `POST http://ADDR:2379/v3/maintenance/status` (the v3 JSON gateway) answers
///   `{"header": {"member_id": "…"}, "leader": "…"}`; the leader is the candidate whose own
///   member id is the leader most answering members name. Followers are every other candidate.
/// - Redis: `INFO replication` over RESP; `role:master` is the primary, `role:slave` a replica.
public struct ServiceTargetResolver: DynamicTargetResolving {
    public var timeout: TimeSpan
    public var etcdPort: UInt16 = 2379
    public var redisPort: UInt16 = 6379

    public init(timeout: TimeSpan = .seconds(2)) { self.timeout = timeout }

    public struct NoAnswer: Error, CustomStringConvertible { public var description: String }

    public func resolve(_ resolver: DynamicResolver, among candidates: [Host]) async throws -> [Host] {
        switch resolver {
        case .etcdLeader, .etcdFollowers:
            let statuses = await askAll(candidates) { host in Self.etcdStatus(host: host.address, port: etcdPort, timeout: timeout) }
            let leader = try Self.etcdLeader(statuses, candidates: candidates)
            return resolver == .etcdLeader ? [leader] : candidates.filter { $0.name != leader.name }
        case .redisPrimary, .redisReplicas:
            let roles = await askAll(candidates) { host in Self.redisRole(host: host.address, port: redisPort, timeout: timeout) }
            let wanted = resolver == .redisPrimary ? "master" : "slave"
            let answered = zip(candidates, roles).filter { if case .success = $0.1 { true } else { false } }
            guard !answered.isEmpty else {
                throw NoAnswer(description: "\(resolver.rawValue): no Redis answered INFO replication: " + Self.failures(candidates, roles))
            }
            return zip(candidates, roles).compactMap { host, role in (try? role.get()) == wanted ? host : nil }
        }
    }

    private func askAll<T: Sendable>(_ hosts: [Host], _ ask: @escaping @Sendable (Host) -> Result<T, NoAnswer>) async -> [Result<T, NoAnswer>] {
        await withTaskGroup(of: (Int, Result<T, NoAnswer>).self) { group in
            for (i, host) in hosts.enumerated() { group.addTask { (i, await Blocking.run("fl-resolve") { ask(host) }) } }
            var out = [Result<T, NoAnswer>?](repeating: nil, count: hosts.count)
            for await (i, r) in group { out[i] = r }
            return out.map { $0! }
        }
    }

    static func failures<T>(_ hosts: [Host], _ results: [Result<T, NoAnswer>]) -> String {
        zip(hosts, results).compactMap { host, r in
            if case .failure(let e) = r { return "\(host.name): \(e.description)" }
            return nil
        }.joined(separator: "; ")
    }

    /// (own member id, leader id) as etcd reports them.
    struct EtcdStatus: Sendable, Hashable { var memberID: String; var leader: String }

    static func etcdStatus(host: String, port: UInt16, timeout: TimeSpan) -> Result<EtcdStatus, NoAnswer> {
        let connection = HTTPConnection(host: host, port: port, connectTimeout: timeout.duration, keepAlive: false)
        defer { connection.close() }
        do {
            let response = try connection.request("POST", "/v3/maintenance/status", headers: [("Content-Type", "application/json")],
                                                  body: Array("{}".utf8), timeout: timeout.duration)
            return parseEtcdStatus(response.body, status: response.status)
        } catch {
            return .failure(NoAnswer(description: "\(error)"))
        }
    }

    /// Pure: reads the gateway's answer. Ids are uint64 sent as strings (protobuf JSON).
    static func parseEtcdStatus(_ body: [UInt8], status: Int) -> Result<EtcdStatus, NoAnswer> {
        guard status == 200, let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let header = root["header"] as? [String: Any] else {
            return .failure(NoAnswer(description: "status \(status): \(HTTPProbeRunner.excerpt(String(decoding: body, as: UTF8.self)))"))
        }
        func id(_ v: Any?) -> String? {
            switch v {
            case let s as String: s
            case let n as NSNumber: n.stringValue
            default: nil
            }
        }
        guard let member = id(header["member_id"]), let leader = id(root["leader"]), leader != "0" else {
            return .failure(NoAnswer(description: "no leader known to this member"))
        }
        return .success(EtcdStatus(memberID: member, leader: leader))
    }

    /// Pure: the candidate that is the leader most answering members agree on.
    static func etcdLeader(_ statuses: [Result<EtcdStatus, NoAnswer>], candidates: [Host]) throws -> Host {
        var votes: [String: Int] = [:]
        var memberOf: [String: Host] = [:]
        for (host, status) in zip(candidates, statuses) {
            guard case .success(let s) = status else { continue }
            votes[s.leader, default: 0] += 1
            memberOf[s.memberID] = host
        }
        guard !votes.isEmpty else {
            throw NoAnswer(description: "etcd-leader: no member answered /v3/maintenance/status: " + failures(candidates, statuses))
        }
        let ranked = votes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        guard let leader = ranked.lazy.compactMap({ memberOf[$0.key] }).first else {
            throw NoAnswer(description: "etcd-leader: the leader members report (\(ranked[0].key)) is none of \(candidates.map(\.name).joined(separator: ", "))")
        }
        return leader
    }

    static func redisRole(host: String, port: UInt16, timeout: TimeSpan) -> Result<String, NoAnswer> {
        let connection = RESPConnection(host: host, port: port, connectTimeout: timeout.duration)
        defer { connection.close() }
        do {
            let reply = try connection.command(["INFO", "replication"], timeout: timeout.duration)
            guard case .bulkString(let bytes?) = reply else { return .failure(NoAnswer(description: "unexpected reply \(reply)")) }
            return parseRedisRole(String(decoding: bytes, as: UTF8.self))
        } catch {
            return .failure(NoAnswer(description: "\(error)"))
        }
    }

    static func parseRedisRole(_ info: String) -> Result<String, NoAnswer> {
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("role:") {
            return .success(String(line.dropFirst("role:".count)))
        }
        return .failure(NoAnswer(description: "INFO replication has no role line"))
    }
}
