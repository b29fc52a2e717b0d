import Foundation

/// Registers in etcd v3, through the JSON gateway every etcd 3.4 member serves on its
/// client port (`/v3/kv/...`), so that no gRPC stack is needed.
///
/// Keys and values travel base64-encoded. Reads are linearizable ranges (etcd's default,
/// `serializable: false`), served after a quorum round: a stale read is a bug of etcd,
/// not of the workload. CAS is a transaction comparing the key's value (or, for an
/// absent expected value, its create revision against 0, which is how etcd says "key
/// does not exist").
///
/// Replies: HTTP 200 is an answer. Anything else from etcd (no leader, request timed
/// out, too many requests) is indeterminate for a write or CAS — etcd reports "request
/// timed out" for proposals that may still commit — and not applied for a read, which
/// has no effect either way.
public final class EtcdRegisterClient: RegisterClient {
    public let endpoint: Endpoint
    private let connection: HTTPConnection

    public init(endpoint: Endpoint, connectTimeout: Duration = .milliseconds(500)) {
        self.endpoint = endpoint
        connection = HTTPConnection(host: endpoint.host, port: endpoint.port, connectTimeout: connectTimeout)
    }

    public var node: String { endpoint.name }
    public var supportsCAS: Bool { true }

    public func read(key: String, timeout: Duration) -> RegisterReply {
        let body = #"{"key":"\#(Self.base64(key))"}"#
        switch post("/v3/kv/range", body: body, timeout: timeout) {
        case .failure(let failure): return RegisterReply(failure)
        case .success(let response) where response.status != 200:
            return .notApplied("etcd range: HTTP \(response.status) \(response.text.prefix(200))")
        case .success(let response):
            guard let decoded = try? JSONDecoder().decode(RangeResponse.self, from: Data(response.body)) else {
                return .indeterminate("etcd range: undecodable reply \(response.text.prefix(200))")
            }
            guard let kv = decoded.kvs?.first else { return .ok(nil) }
            // etcd's JSON omits empty fields: a missing value is the empty string.
            guard let value = Self.decodeBase64(kv.value ?? "") else {
                return .indeterminate("etcd range: value is not base64")
            }
            return .ok(value)
        }
    }

    public func write(key: String, value: String, timeout: Duration) -> RegisterReply {
        let body = #"{"key":"\#(Self.base64(key))","value":"\#(Self.base64(value))"}"#
        switch post("/v3/kv/put", body: body, timeout: timeout) {
        case .failure(let failure): return RegisterReply(failure)
        case .success(let response) where response.status != 200:
            return .indeterminate("etcd put: HTTP \(response.status) \(response.text.prefix(200))")
        case .success:
            return .ok(nil)
        }
    }

    public func cas(key: String, expected: String?, new: String, timeout: Duration) -> RegisterReply {
        let key64 = Self.base64(key)
        let compare = if let expected {
            #"{"key":"\#(key64)","target":"VALUE","result":"EQUAL","value":"\#(Self.base64(expected))"}"#
        } else {
            #"{"key":"\#(key64)","target":"CREATE","result":"EQUAL","createRevision":"0"}"#
        }
        let body = #"{"compare":[\#(compare)],"success":[{"requestPut":{"key":"\#(key64)","value":"\#(Self.base64(new))"}}]}"#
        switch post("/v3/kv/txn", body: body, timeout: timeout) {
        case .failure(let failure): return RegisterReply(failure)
        case .success(let response) where response.status != 200:
            return .indeterminate("etcd txn: HTTP \(response.status) \(response.text.prefix(200))")
        case .success(let response):
            guard let decoded = try? JSONDecoder().decode(TxnResponse.self, from: Data(response.body)) else {
                return .indeterminate("etcd txn: undecodable reply \(response.text.prefix(200))")
            }
            // `succeeded: false` is omitted from the JSON.
            return decoded.succeeded == true ? .ok(nil) : .casMismatch
        }
    }

    public func close() { connection.close() }

    private func post(_ path: String, body: String, timeout: Duration) -> Result<HTTPResponse, RequestFailure> {
        do {
            return .success(try connection.request("POST", path, headers: [("Content-Type", "application/json")],
                                                   body: Array(body.utf8), timeout: timeout))
        } catch {
            return .failure(error)
        }
    }

    private struct RangeResponse: Decodable {
        struct KeyValue: Decodable { var value: String? }
        var kvs: [KeyValue]?
    }

    private struct TxnResponse: Decodable {
        var succeeded: Bool?
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static func decodeBase64(_ text: String) -> String? {
        Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) }
    }
}
