/// Registers in any HTTP key-value service whose API fits a few templates.
///
/// The default is the plainest REST shape: `PUT {base}/kv/{key}` with the value as the
/// body, `GET {base}/kv/{key}` returning the value as the body, 404 = absent. Paths,
/// methods, body and the status codes that mean "ok", "absent" and "refused" are
/// configurable; CAS is offered only when a CAS request is configured.
public final class HTTPKeyValueRegisterClient: RegisterClient {
    /// The shape of the service's API. In templates, `{key}` is replaced by the
    /// percent-encoded key (paths) and `{value}` / `{expected}` by the value (bodies,
    /// as is; in paths percent-encoded).
    public struct API: Sendable {
        /// Prefix of every path, e.g. `/api` (no trailing slash).
        public var base: String = ""
        public var readMethod: String = "GET"
        public var readPath: String = "/kv/{key}"
        public var writeMethod: String = "PUT"
        public var writePath: String = "/kv/{key}"
        public var writeBody: String = "{value}"
        /// Optional CAS: the request must succeed (an ok status) only if the key held
        /// `{expected}`, and answer with one of `casMismatchStatuses` otherwise.
        public var cas: CASRequest?
        public var okStatuses: Set<Int> = [200, 201, 204]
        /// A read answered with one of these found no value.
        public var absentStatuses: Set<Int> = [404]
        /// Answers that mean the server refused the request without acting on it. By
        /// HTTP's semantics a 4xx is the client's fault and changes nothing; 5xx may come
        /// after the change was made (a proxy timing out, a crash mid-way).
        public var notAppliedStatuses: Set<Int> = Set(400..<500)
        /// A header in which the service says whether a write it did not acknowledge was
        /// applied; read before the status.
        public var outcome = OutcomeHeader()
        public var headers: [(String, String)] = []

        /// A response header whose value says whether a write or compare-and-set that was
        /// not acknowledged took effect. Services that know tell: a leader that refused a
        /// write before proposing it answers `503` with `X-Applied: no`, and one that lost
        /// track of a proposed write answers `X-Applied: unknown`. Without the header a 5xx
        /// could follow a commit, so it is indeterminate; with it, a refusal is a failed
        /// write, which the checkers ignore (fewer open operations, a smaller search).
        public struct OutcomeHeader: Sendable, Equatable {
            /// The header's name (matched case-insensitively); nil reads no header.
            public var name: String?
            /// Values (lowercased) meaning the request was not applied.
            public var notApplied: Set<String>
            /// Values (lowercased) meaning the request may or may not have been applied.
            public var indeterminate: Set<String>

            public init(name: String? = "X-Applied", notApplied: Set<String> = ["no"],
                        indeterminate: Set<String> = ["unknown"]) {
                self.name = name
                self.notApplied = Set(notApplied.map { $0.lowercased() })
                self.indeterminate = Set(indeterminate.map { $0.lowercased() })
            }
        }

        public struct CASRequest: Sendable {
            public var method: String
            public var path: String
            public var body: String
            /// The body (and path) text for `{expected}` when the key is expected absent.
            public var absentMarker: String
            public var mismatchStatuses: Set<Int>

            public init(method: String = "POST", path: String = "/cas/{key}", body: String = "{expected}\n{value}",
                        absentMarker: String = "", mismatchStatuses: Set<Int> = [409, 412]) {
                self.method = method
                self.path = path
                self.body = body
                self.absentMarker = absentMarker
                self.mismatchStatuses = mismatchStatuses
            }
        }

        public init() {}
    }

    public let endpoint: Endpoint
    public let api: API
    private let connection: HTTPConnection

    public init(endpoint: Endpoint, api: API = API(), connectTimeout: Duration = .milliseconds(500)) {
        self.endpoint = endpoint
        self.api = api
        connection = HTTPConnection(host: endpoint.host, port: endpoint.port, connectTimeout: connectTimeout)
    }

    public var node: String { endpoint.name }
    public var supportsCAS: Bool { api.cas != nil }

    public func read(key: String, timeout: Duration) -> RegisterReply {
        let path = api.base + Self.fill(api.readPath, key: key, value: "", expected: "", encode: true)
        switch send(api.readMethod, path, body: "", timeout: timeout) {
        case .failure(let failure): return RegisterReply(failure)
        case .success(let response):
            if api.okStatuses.contains(response.status) { return .ok(response.text) }
            if api.absentStatuses.contains(response.status) { return .ok(nil) }
            // A read has no effect: whatever went wrong, it did not change the register.
            return .notApplied("\(api.readMethod) \(path): HTTP \(response.status)")
        }
    }

    public func write(key: String, value: String, timeout: Duration) -> RegisterReply {
        let path = api.base + Self.fill(api.writePath, key: key, value: value, expected: "", encode: true)
        let body = Self.fill(api.writeBody, key: key, value: value, expected: "", encode: false)
        switch send(api.writeMethod, path, body: body, timeout: timeout) {
        case .failure(let failure): return RegisterReply(failure)
        case .success(let response): return classify(response, request: "\(api.writeMethod) \(path)", mismatch: [])
        }
    }

    public func cas(key: String, expected: String?, new: String, timeout: Duration) -> RegisterReply {
        guard let request = api.cas else { return .notApplied("no CAS request configured") }
        let expectedText = expected ?? request.absentMarker
        let path = api.base + Self.fill(request.path, key: key, value: new, expected: expectedText, encode: true)
        let body = Self.fill(request.body, key: key, value: new, expected: expectedText, encode: false)
        switch send(request.method, path, body: body, timeout: timeout) {
        case .failure(let failure): return RegisterReply(failure)
        case .success(let response):
            return classify(response, request: "\(request.method) \(path)", mismatch: request.mismatchStatuses)
        }
    }

    public func close() { connection.close() }

    /// An ok status is an acknowledgement and a mismatch status a compare-and-set that did
    /// not swap, whatever the headers say; any other answer is read from the outcome header
    /// when it carries a known value, else from the status.
    func classify(_ response: HTTPResponse, request: String, mismatch: Set<Int>) -> RegisterReply {
        if api.okStatuses.contains(response.status) { return .ok(nil) }
        if mismatch.contains(response.status) { return .casMismatch }
        if let name = api.outcome.name, let said = response.header(name) {
            let value = said.lowercased()   // the parser trimmed it
            if api.outcome.notApplied.contains(value) {
                return .notApplied("\(request): HTTP \(response.status), \(name): \(said)")
            }
            if api.outcome.indeterminate.contains(value) {
                return .indeterminate("\(request): HTTP \(response.status), \(name): \(said)")
            }
        }
        if api.notAppliedStatuses.contains(response.status) { return .notApplied("\(request): HTTP \(response.status)") }
        return .indeterminate("\(request): HTTP \(response.status)")
    }

    private func send(_ method: String, _ path: String, body: String, timeout: Duration) -> Result<HTTPResponse, RequestFailure> {
        do {
            return .success(try connection.request(method, path, headers: api.headers, body: Array(body.utf8), timeout: timeout))
        } catch {
            return .failure(error)
        }
    }

    static func fill(_ template: String, key: String, value: String, expected: String, encode: Bool) -> String {
        return template
            .replacingAll("{key}", with: percentEncode(key))
            .replacingAll("{value}", with: encode ? percentEncode(value) : value)
            .replacingAll("{expected}", with: encode ? percentEncode(expected) : expected)
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters, so a key can be
    /// one path segment whatever it contains.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

extension String {
    /// Replaces every occurrence of `target` (Foundation-free, so the pure parts of the
    /// module do not need it).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
