import FaultlinePlan
import Foundation

/// A real etcd cluster (Debian `etcd-server`), one member per lab host, started inside the
/// host's namespace and listening only on the host's address.
///
/// `--pre-vote=true`: a member that was cut off does not disrupt the cluster with a higher
/// term when it returns (KERNEL.md: failover 1–2 s and a clean rejoin with it).
public enum LabEtcd {
    public static let binary = "/usr/bin/etcd"
    public static let clientPort = 2379
    public static let peerPort = 2380

    static func dataDirectory(_ labDirectory: String, host: String) -> String { labDirectory + "/etcd/\(host)" }
    static func logPath(_ labDirectory: String, host: String) -> String { labDirectory + "/logs/etcd-\(host).log" }

    /// The member's argv. With `existing` a restarted member rejoins (its data directory
    /// already names the cluster; etcd ignores the initial-cluster flags then).
    static func argv(host index: Int, hosts: Int, addressing a: LabAddressing, labDirectory: String, existing: Bool) -> [String] {
        let name = a.hostName(index), address = a.address(ofHost: index)
        let cluster = (1...hosts).map { "\(a.hostName($0))=http://\(a.address(ofHost: $0)):\(peerPort)" }.joined(separator: ",")
        return [binary,
                "--name", name,
                "--data-dir", dataDirectory(labDirectory, host: name),
                "--listen-client-urls", "http://\(address):\(clientPort)",
                "--advertise-client-urls", "http://\(address):\(clientPort)",
                "--listen-peer-urls", "http://\(address):\(peerPort)",
                "--initial-advertise-peer-urls", "http://\(address):\(peerPort)",
                "--initial-cluster", cluster,
                "--initial-cluster-token", "faultline-\(a.name)",
                "--initial-cluster-state", existing ? "existing" : "new",
                "--pre-vote=true",
                "--logger", "zap"]
    }

    /// True when the member at `address` answers `/health` with `"health":"true"`.
    public static func isHealthy(address: String, timeout: TimeInterval = 1) -> Bool {
        guard let r = try? LabHTTP.request("GET", address: address, port: clientPort, path: "/health", timeout: timeout) else { return false }
        return r.status == 200 && r.body.replacingOccurrences(of: " ", with: "").contains("\"health\":\"true\"")
    }

    /// One member's view: its id and the leader it follows (0 when it knows none).
    public struct MemberStatus: Sendable, Equatable {
        public var memberID: UInt64
        public var leaderID: UInt64
        public var raftTerm: UInt64
        public var isLeader: Bool { leaderID != 0 && leaderID == memberID }
    }

    public static func status(address: String, timeout: TimeInterval = 1) throws -> MemberStatus {
        let r = try LabHTTP.request("POST", address: address, port: clientPort, path: "/v3/maintenance/status", body: "{}", timeout: timeout)
        guard r.status == 200, let json = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
              let header = json["header"] as? [String: Any] else {
            throw LabError.invalid("etcd at \(address): unexpected status answer \(r.status): \(r.body.prefix(200))")
        }
        // grpc-gateway writes 64-bit integers as strings.
        func number(_ v: Any?) -> UInt64 { (v as? String).flatMap { UInt64($0) } ?? (v as? NSNumber)?.uint64Value ?? 0 }
        return MemberStatus(memberID: number(header["member_id"]), leaderID: number(json["leader"]), raftTerm: number(json["raftTerm"]))
    }

    /// Writes `value` under `key` through the member at `address` (etcd's JSON gateway; keys
    /// and values travel base64-encoded). Returns the revision of the write.
    @discardableResult
    public static func put(key: String, value: String, address: String, timeout: TimeInterval = 2) throws -> UInt64 {
        let body = "{\"key\":\"\(Data(key.utf8).base64EncodedString())\",\"value\":\"\(Data(value.utf8).base64EncodedString())\"}"
        let r = try LabHTTP.request("POST", address: address, port: clientPort, path: "/v3/kv/put", body: body, timeout: timeout)
        guard r.status == 200, let json = try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
              let header = json["header"] as? [String: Any], let revision = (header["revision"] as? String).flatMap(UInt64.init) else {
            throw LabError.invalid("etcd at \(address): put \(key) answered \(r.status): \(r.body.prefix(200))")
        }
        return revision
    }

    /// Reads `key` (a linearizable read: etcd's default) through the member at `address`.
    public static func get(key: String, address: String, timeout: TimeInterval = 2) throws -> String? {
        let body = "{\"key\":\"\(Data(key.utf8).base64EncodedString())\"}"
        let r = try LabHTTP.request("POST", address: address, port: clientPort, path: "/v3/kv/range", body: body, timeout: timeout)
        guard r.status == 200, let json = try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any] else {
            throw LabError.invalid("etcd at \(address): get \(key) answered \(r.status): \(r.body.prefix(200))")
        }
        guard let kvs = json["kvs"] as? [[String: Any]], let encoded = kvs.first?["value"] as? String,
              let data = Data(base64Encoded: encoded) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
