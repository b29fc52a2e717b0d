/// Registers in a single Redis server: SET and GET, and compare-and-set as a Lua script.
///
/// CAS uses EVAL rather than WATCH/MULTI/EXEC. A script runs atomically in one round
/// trip, so its answer is exactly "swapped" or "did not hold the expected value". The
/// optimistic transaction needs four round trips on one connection, and an aborted EXEC
/// only says "someone touched the key meanwhile", which is not the same as a mismatch
/// and would have to be retried or recorded as indeterminate.
///
/// Error replies: a read's error is not applied (reads have no effect); a write's or
/// CAS's error is indeterminate, since we cannot tell from the text alone whether the
/// server executed part of it.
public final class RedisRegisterClient: RegisterClient {
    public let endpoint: Endpoint
    private let connection: RESPConnection

    /// KEYS[1] = key, ARGV[1] = expected value, ARGV[2] = new value, ARGV[3] = "1" when
    /// the expected value is "absent". GET of a missing key is `false` inside Lua.
    static let casScript = """
        local current = redis.call('GET', KEYS[1])
        local matches
        if ARGV[3] == '1' then matches = (current == false) else matches = (current == ARGV[1]) end
        if matches then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
        return 0
        """

    public init(endpoint: Endpoint, connectTimeout: Duration = .milliseconds(500)) {
        self.endpoint = endpoint
        connection = RESPConnection(host: endpoint.host, port: endpoint.port, connectTimeout: connectTimeout)
    }

    public var node: String { endpoint.name }
    public var supportsCAS: Bool { true }

    public func read(key: String, timeout: Duration) -> RegisterReply {
        switch send(["GET", key], timeout: timeout) {
        case .failure(let failure): return RegisterReply(failure)
        case .success(.bulkString(let bytes)): return .ok(bytes.map { String(decoding: $0, as: UTF8.self) })
        case .success(.error(let message)): return .notApplied("redis GET: \(message)")
        case .success(let other): return .indeterminate("redis GET: unexpected reply \(other)")
        }
    }

    public func write(key: String, value: String, timeout: Duration) -> RegisterReply {
        switch send(["SET", key, value], timeout: timeout) {
        case .failure(let failure): return RegisterReply(failure)
        case .success(.simpleString("OK")): return .ok(nil)
        case .success(let other): return .indeterminate("redis SET: unexpected reply \(other)")
        }
    }

    public func cas(key: String, expected: String?, new: String, timeout: Duration) -> RegisterReply {
        let arguments = ["EVAL", Self.casScript, "1", key, expected ?? "", new, expected == nil ? "1" : "0"]
        switch send(arguments, timeout: timeout) {
        case .failure(let failure): return RegisterReply(failure)
        case .success(.integer(1)): return .ok(nil)
        case .success(.integer(0)): return .casMismatch
        case .success(let other): return .indeterminate("redis EVAL cas: unexpected reply \(other)")
        }
    }

    public func close() { connection.close() }

    private func send(_ arguments: [String], timeout: Duration) -> Result<RESPValue, RequestFailure> {
        do {
            return .success(try connection.command(arguments, timeout: timeout))
        } catch {
            return .failure(error)
        }
    }
}
