#if canImport(Glibc)
import Glibc
#endif
import FaultlineTestSupport
import Testing
import FaultlineWorkloads

/// The HTTP client against real loopback sockets: framing, and the line between "not
/// sent" (fail) and "sent, no complete answer" (info).
@Suite struct HTTPConnectionTests {
    @Test func contentLengthChunkedCloseDelimitedAndKeepAlive() throws {
        let server = try TestKeyValueServer()
        defer { server.stop() }
        let connection = HTTPConnection(host: "127.0.0.1", port: server.port)
        defer { connection.close() }
        let put = try connection.request("PUT", "/kv/a", body: Array("v1".utf8), timeout: .seconds(2))
        #expect(put.status == 204)
        let get = try connection.request("GET", "/kv/a", timeout: .seconds(2))
        #expect(get.status == 200)
        #expect(get.text == "v1")
        let chunked = try connection.request("GET", "/chunked", timeout: .seconds(2))
        #expect(chunked.text == "hello, world")
        let closed = try connection.request("GET", "/close-delimited", timeout: .seconds(2))
        #expect(closed.text == "until the end")
        // The server closed that connection; the next request must reconnect, not fail.
        let again = try connection.request("GET", "/kv/a", timeout: .seconds(2))
        #expect(again.text == "v1")
    }

    @Test func absentKeyIsA404ReadAsNil() throws {
        let server = try TestKeyValueServer()
        defer { server.stop() }
        let client = HTTPKeyValueRegisterClient(endpoint: Endpoint(name: "s", host: "127.0.0.1", port: server.port))
        defer { client.close() }
        #expect(client.read(key: "never written", timeout: .seconds(2)) == .ok(nil))
        #expect(client.write(key: "k/1 é", value: "x", timeout: .seconds(2)) == .ok(nil))
        #expect(client.read(key: "k/1 é", timeout: .seconds(2)) == .ok("x"))
        #expect(client.read(key: "k", timeout: .seconds(2)) == .ok(nil), "the key was encoded as one path segment")
    }

    @Test func connectionRefusedIsNotSent() throws {
        // A port that was just free and is now closed: nothing listens there.
        let port = try LoopbackSocket.freePorts(1)[0]
        let connection = HTTPConnection(host: "127.0.0.1", port: port)
        #expect(throws: RequestFailure.self) { try connection.request("GET", "/", timeout: .seconds(1)) }
        do {
            _ = try connection.request("PUT", "/kv/x", body: [1], timeout: .seconds(1))
        } catch {
            guard case .notSent(let reason) = error else { Issue.record("expected notSent, got \(error)"); return }
            #expect(reason.contains("ECONNREFUSED"))
        }
        let client = HTTPKeyValueRegisterClient(endpoint: Endpoint(name: "gone", host: "127.0.0.1", port: port))
        guard case .notApplied = client.write(key: "x", value: "1", timeout: .seconds(1)) else {
            Issue.record("a refused write must be notApplied"); return
        }
    }

    @Test func acceptedButNeverAnsweredIsInfoAfterTheTimeout() throws {
        // A listener that never accepts: the kernel completes the handshake and buffers
        // the request, so the client has sent it and waits in vain.
        let (listener, port) = try LoopbackSocket.listen()
        defer { close(listener) }
        let connection = HTTPConnection(host: "127.0.0.1", port: port)
        defer { connection.close() }
        let started = ContinuousClock.now
        do {
            _ = try connection.request("PUT", "/kv/x", body: Array("v".utf8), timeout: .milliseconds(300))
            Issue.record("a request nobody answers returned")
        } catch {
            guard case .noCompleteAnswer(let reason) = error else { Issue.record("expected noCompleteAnswer, got \(error)"); return }
            #expect(reason.contains("timed out"))
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(290) && waited < .seconds(3), "waited \(waited)")

        // The same through a server that accepts and reads but never answers.
        let server = try TestKeyValueServer()
        defer { server.stop() }
        let silent = HTTPConnection(host: "127.0.0.1", port: server.port)
        defer { silent.close() }
        #expect(throws: RequestFailure.noCompleteAnswer("timed out waiting for the reply")) {
            try silent.request("GET", "/silent", timeout: .milliseconds(200))
        }
        let client = HTTPKeyValueRegisterClient(endpoint: Endpoint(name: "mute", host: "127.0.0.1", port: port))
        guard case .indeterminate = client.write(key: "x", value: "1", timeout: .milliseconds(200)) else {
            Issue.record("an unanswered write must be indeterminate"); return
        }
    }
}
