#if canImport(Glibc)
import Glibc
#endif
import FaultlineAgentAPI
import FaultlineCore
import FaultlineTestSupport
import Foundation
import Testing

/// A bounded fuzz of the agent's API, run in CI: mutated JSON bodies over mutual TLS and
/// raw, malformed HTTP over a plaintext bearer-token agent, a few thousand requests from
/// a fixed seed (a failure replays). The agent must stay up, answer every request it
/// reads with a status below 500, keep answering health, hold only faults whose apply it
/// acknowledged, and leave the kernel as it was once they are reverted.
@Suite("faultline-agent API fuzz", .serialized)
struct AgentAPIFuzzTests {
    /// Kinds that touch only the test's namespace: a mutated kill or pause must be refused
    /// by the policy, never reach a process of this machine.
    static let policy = """
          allowed-kinds: [partition, loss, bandwidth, latency]
          max-lease-seconds: 5
          max-concurrent-faults: 64
        """

    static let seeds: [String] = [
        #"{"fault":{"kind":"partition","parameters":{"topology":{"inbound":{}}}},"lease":"2s"}"#,
        #"{"fault":{"kind":"partition","parameters":{"topology":{"inbound":{"peers":["10.99.0.1/32"],"ports":[80]}}}},"lease":"2s"}"#,
        #"{"fault":{"kind":"loss","parameters":{"percent":5}},"lease":"2s"}"#,
        #"{"fault":{"kind":"loss","parameters":{"percent":100,"correlation":25}},"lease":"1s"}"#,
        #"{"fault":{"kind":"latency","parameters":{"delay":"50ms","jitter":"5ms"}},"lease":"2s"}"#,
        #"{"fault":{"kind":"bandwidth","parameters":{"rate":"1mbit"}},"lease":"2s"}"#,
        #"{"fault":{"kind":"kill","parameters":{"process":{"name":"sleep"},"signal":"KILL"}},"lease":"2s"}"#,
        #"{"fault":{"kind":"pause","parameters":{"process":{"command":"(a+)+$"}}},"lease":"2s"}"#,
        #"{"ids":["f1","f2"]}"#,
        #"{"process":{"pidfile":"/proc/self/stat"}}"#,
    ]

    /// Tokens spliced into bodies: types the decoder does not expect, extremes, and
    /// structure (deep nesting, long strings) that a naive decoder would choke on.
    static let tokens: [String] = [
        "null", "true", "-1", "1e308", "-0", "18446744073709551616", "\"\"", "\"\\u0000\"", "[]", "{}",
        "\"9999999999h\"", "\"-5s\"", "\"NaN\"", "\"../../etc/shadow\"", "\"/dev/zero\"", "\"\\ud800\"",
        String(repeating: "[", count: 600), String(repeating: "{\"a\":", count: 300),
        "\"" + String(repeating: "x", count: 70_000) + "\"", "\"é\u{202E}\"", ",", ":", "\"",
    ]

    static let paths = ["/v1/faults/f1", "/v1/faults/f2", "/v1/faults/%2e%2e", "/v1/faults/" + String(repeating: "a", count: 300),
                        "/v1/faults", "/v1/leases", "/v1/processes", "/v1/health", "/v1/faults/f1?reason=nonsense",
                        "/v1/faults/f2?reason=guard&reason=halt", "/v1//faults/x", "/metrics", "/v2/faults/x"]
    static let methods = ["PUT", "PUT", "PUT", "POST", "POST", "DELETE", "GET", "PATCH", "OPTIONS"]

    static func mutate(_ text: String, _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = Array(text.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))       // flip a bit
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...12, using: &rng)))  // cut
            case 2: bytes.insert(contentsOf: Array(tokens.randomElement(using: &rng)!.utf8), at: at)  // splice
            case 3: bytes = Array(bytes[..<at])                                       // truncate
            case 4:                                                                   // replace a value
                if let colon = bytes[at...].firstIndex(of: UInt8(ascii: ":")) {
                    let end = bytes[(colon + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? bytes.count
                    bytes.replaceSubrange((colon + 1)..<end, with: Array(tokens.randomElement(using: &rng)!.utf8))
                }
            default: bytes += bytes[at...].prefix(64)                                 // duplicate a tail
            }
        }
        return bytes
    }

    @Test("2 000 mutated JSON requests over mTLS: every answer below 500, the agent up and holding only acknowledged faults, nothing left after")
    func mutatedJSONOverTLS() async throws {
        let agent = try AgentUnderTest(tag: "fz", policy: Self.policy)
        defer { agent.destroy() }
        try await agent.waitUntilServing()
        let baseline = try agent.host.nftTables()
        let client = try agent.client(timeout: 5)
        defer { client.close() }
        var rng = SeededGenerator(seed: 0x14F0_22)
        var statuses: [Int: Int] = [:]
        var acknowledged: Set<String> = []
        for i in 0..<2_000 {
            // Mostly well-aimed requests with mutated bodies (so the decoder, the validator
            // and the policy see them), the rest any method on any path.
            let (method, path, seed): (String, String, String)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6: (method, path, seed) = ("PUT", "/v1/faults/f\(i % 8)", Self.seeds[Int.random(in: 0..<8, using: &rng)])
            case 6: (method, path, seed) = ("POST", "/v1/leases", Self.seeds[8])
            case 7: (method, path, seed) = ("POST", "/v1/processes", Self.seeds[9])
            default: (method, path, seed) = (Self.methods.randomElement(using: &rng)!, Self.paths.randomElement(using: &rng)!,
                                             Self.seeds.randomElement(using: &rng)!)
            }
            // One in ten goes as it is: some applies must succeed, so that revert and the
            // held-faults check have something to check.
            let body = Int.random(in: 0..<10, using: &rng) == 0 ? Array(seed.utf8) : Self.mutate(seed, &rng)
            let response: HTTPAgentResponse
            do { response = try await client.send(method: method, path: path, body: body) } catch {
                // Only a transport failure lands here; the agent must still be up.
                Issue.record("#\(i) \(method) \(path): \(error)\n\(agent.log)")
                break
            }
            statuses[response.status, default: 0] += 1
            #expect(response.status < 500, "#\(i) \(method) \(path) \(String(decoding: body.prefix(200), as: UTF8.self)) -> \(response.status) \(String(decoding: response.body.prefix(300), as: UTF8.self))")
            if method == "PUT", response.status / 100 == 2, path.hasPrefix("/v1/faults/") {
                acknowledged.insert(String(path.dropFirst("/v1/faults/".count)))
            }
            if i % 250 == 0 { _ = try await client.health() }
        }
        print("API fuzz (mTLS, seed 0x14F022): statuses \(statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")); applied \(acknowledged.count) distinct ids")
        #expect(!agent.process.hasExited, "the agent died: \(agent.log)")
        _ = try await client.health()
        let held = try await client.faultsAndReverts().faults.map(\.id)
        #expect(Set(held).isSubset(of: acknowledged), "held \(held), acknowledged \(acknowledged)")
        _ = try await client.revertAll()
        let after = try agent.host.nftTables()
        #expect(after == baseline, "left in the kernel:\n\(after)")
        // Most requests must be refused for a reason, not all accepted: the fuzz reaches the decoder.
        #expect((statuses[400] ?? 0) > 300 && !acknowledged.isEmpty, "\(statuses)")
    }

    @Test("800 malformed raw HTTP requests to a bearer-token agent: no crash, no 5xx, health answers, nothing applied")
    func malformedRawHTTP() async throws {
        let token = "fuzz-token-0123456789abcdef"
        let agent = try AgentUnderTest(tag: "fr", policy: Self.policy, tls: "{ insecure: true, bearer-token: \(token) }")
        defer { agent.destroy() }
        let address = agent.host.hostAddress
        let deadline = Date().addingTimeInterval(15)
        while RawHTTP.exchange(address, agent.port, Array("GET /v1/health HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8)).status != 200 {
            let probe = RawHTTP.exchange(address, agent.port, Array("GET /v1/health HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8))
            try #require(Date() < deadline && !agent.process.hasExited, "the agent did not serve: \(probe)\n\(agent.log)")
            try await Task.sleep(for: .milliseconds(100))
        }
        let baseline = try agent.host.nftTables()
        let valid = Self.seeds[0]
        let auth = "Authorization: Bearer \(token)\r\n"
        let shapes: [(inout SeededGenerator) -> [UInt8]] = [
            { _ in Array("PUT /v1/faults/r1 HTTP/1.1\r\n\(auth)Content-Length: 99999999\r\n\r\n\(valid)".utf8) },
            { _ in Array("PUT /v1/faults/r2 HTTP/1.1\r\n\(auth)Content-Length: -4\r\n\r\n\(valid)".utf8) },
            { _ in Array("PUT /v1/faults/r3 HTTP/1.1\r\n\(auth)Transfer-Encoding: chunked\r\n\r\nzz\r\n\(valid)\r\n0\r\n\r\n".utf8) },
            { _ in Array("PUT /v1/faults/r4 HTTP/1.1\r\nAuthorization: Bearer wrong-token-000000000\r\nContent-Length: \(valid.utf8.count)\r\n\r\n\(valid)".utf8) },
            { _ in Array("PUT /v1/faults/r5 HTTP/1.1\r\nContent-Length: \(valid.utf8.count)\r\n\r\n\(valid)".utf8) },
            { _ in Array("GET /v1/health HTTP/1.1\r\n\(auth)X-Long: \(String(repeating: "h", count: 100_000))\r\n\r\n".utf8) },
            { _ in Array("GET /v1/health\r\n\r\n".utf8) },
            { _ in Array("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}".utf8) },  // a TLS ClientHello start
            { _ in Array(("GET /v1/health HTTP/1.1\r\n\(auth)\r\n").utf8) + Array(repeating: UInt8(ascii: "\n"), count: 2000) },
            { _ in Array(String(repeating: "GET /v1/faults HTTP/1.1\r\n\(auth)\r\n", count: 50).utf8) },  // pipelined
            { rng in (0..<Int.random(in: 1...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } },
            { rng in
                let request = "PUT /v1/faults/r6 HTTP/1.1\r\n\(auth)Content-Length: \(valid.utf8.count)\r\n\r\n\(valid)"
                return AgentAPIFuzzTests.mutate(request, &rng)
            },
        ]
        var rng = SeededGenerator(seed: 0x14F0_23)
        var statuses: [Int: Int] = [:]
        for i in 0..<800 {
            let bytes = shapes.randomElement(using: &rng)!(&rng)
            let answer = RawHTTP.exchange(address, agent.port, bytes)
            statuses[answer.status, default: 0] += 1
            #expect(answer.status < 500, "#\(i) \(String(decoding: bytes.prefix(120), as: UTF8.self).debugDescription) -> \(answer.status)")
            if i % 100 == 0 {
                #expect(RawHTTP.exchange(address, agent.port, Array("GET /v1/health HTTP/1.1\r\n\(auth)\r\n".utf8)).status == 200, "health stopped answering at #\(i)")
            }
        }
        print("API fuzz (raw HTTP, seed 0x14F023): statuses \(statuses.sorted { $0.key < $1.key }.map { "\($0.key == 0 ? "closed" : "\($0.key)")×\($0.value)" }.joined(separator: " "))")
        #expect(!agent.process.hasExited, "the agent died: \(agent.log)")
        #expect(RawHTTP.exchange(address, agent.port, Array("GET /v1/health HTTP/1.1\r\n\(auth)\r\n".utf8)).status == 200)
        // Unauthenticated and unparseable requests applied nothing; a mutated valid one may
        // have (a 2 s lease): revert all, and the kernel is as before.
        _ = RawHTTP.exchange(address, agent.port, Array("DELETE /v1/faults HTTP/1.1\r\n\(auth)\r\n".utf8))
        let after = try agent.host.nftTables()
        #expect(after == baseline, "left in the kernel:\n\(after)")
        #expect((statuses[401] ?? 0) > 0 && (statuses[400] ?? 0) + (statuses[413] ?? 0) > 0, "\(statuses)")
    }
}

/// One HTTP exchange over a plain TCP socket, for requests no HTTP client would send.
enum RawHTTP {
    /// Sends `bytes` and reads the first status line within 2 s. Status 0:
    /// the agent closed the connection without an answer (what it does with garbage).
    static func exchange(_ address: String, _ port: Int, _ bytes: [UInt8]) -> (status: Int, head: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return (-1, "socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, address, &sin.sin_addr)
        let connected = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return (-1, "connect failed: \(errno)") }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the agent closed early (a 413 before the whole body came)
            sent += n
        }
        // A complete request is answered at once; one the agent still waits on (a body
        // shorter than its Content-Length) gets our end of the stream after 150 ms, upon
        // which the agent closes. Half-closing at once would close a connection the agent
        // is still answering (it does not allow half-closure).
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&ready, 1, 150) == 0 { shutdown(fd, Int32(SHUT_WR)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 65_536 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
            if received.contains(UInt8(ascii: "\n")) { break }  // the status line is in
        }
        let head = String(decoding: received.prefix(200), as: UTF8.self)
        let parts = head.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else { return (0, head) }
        return (status, head)
    }
}
