#if canImport(Glibc)
import Glibc
#endif
import FaultlineTestSupport
import Foundation
import Synchronization

/// A tiny threaded HTTP key-value server on 127.0.0.1, written for the tests, that can
/// misbehave on purpose.
///
/// `PUT /kv/<key>` stores the body, `GET /kv/<key>` returns it (404 if absent). Modes:
/// - `.correct`: one map under one lock — linearizable.
/// - `.dropsWrites`: acknowledges every PUT with 204 and stores nothing — every
///   acknowledged write is lost, by construction.
/// - `.lagsOneWrite`: reads come from a "replica" that holds each key's previous value:
///   a read never sees the latest acknowledged write.
/// - `.refusesSomeWrites`: linearizable, but of every four PUTs, as a leader that is
///   stepping down answers: one is refused unapplied with `503` and `X-Applied: no`, one is
///   applied and answered `503` with `X-Applied: unknown` (it lost track of the commit),
///   one is refused unapplied with a bare `503`, and one is stored and acknowledged.
/// `POST /cas/<key>` with body `expected\nnew` swaps if the key holds `expected` (an
/// empty `expected` means absent) and answers 412 otherwise (`.correct` mode only).
/// Extra routes for the HTTP client tests: `GET /chunked` (a chunked body with an
/// extension and a trailer), `GET /close-delimited` (no length; body ends at close),
/// `GET /silent` (reads the request, never answers).
final class TestKeyValueServer: Sendable {
    enum Mode: Sendable { case correct, dropsWrites, lagsOneWrite, refusesSomeWrites }

    let port: UInt16
    let mode: Mode
    private let listener: Int32
    private let store = Mutex<(primary: [String: String], replica: [String: String])>(([:], [:]))
    /// PUTs received, and the answer each value got (its turn of four), for `.refusesSomeWrites`.
    private let puts = Mutex((count: 0, turnOfValue: [String: Int]()))

    /// `.refusesSomeWrites`: which of the four answers each written value got
    /// (0 `X-Applied: no`, 1 `X-Applied: unknown`, 2 bare 503, 3 acknowledged).
    var turnOfValue: [String: Int] { puts.withLock { $0.turnOfValue } }
    private let connections = Mutex<(open: Set<Int32>, stopped: Bool)>(([], false))
    private let acceptorDone = DispatchSemaphore(value: 0)
    private let handlers = DispatchGroup()

    init(mode: Mode = .correct) throws {
        self.mode = mode
        (listener, port) = try LoopbackSocket.listen()
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting, closes every connection, and waits for the handler threads.
    func stop() {
        let alreadyStopped = connections.withLock { state -> Bool in
            defer { state.stopped = true }
            if state.stopped { return true }
            // shutdown() wakes threads blocked in accept/read; close happens in each thread.
            shutdown(listener, Int32(SHUT_RDWR))
            for fd in state.open { shutdown(fd, Int32(SHUT_RDWR)) }
            return false
        }
        guard !alreadyStopped else { return }
        acceptorDone.wait()
        handlers.wait()
        close(listener)
    }

    private func acceptLoop() {
        defer { acceptorDone.signal() }
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let admitted = connections.withLock { state -> Bool in
                if state.stopped { return false }
                state.open.insert(fd)
                return true
            }
            guard admitted else { close(fd); return }
            handlers.enter()
            let thread = Thread { [self] in
                defer { handlers.leave() }
                serve(fd)
                connections.withLock { _ = $0.open.remove(fd) }
                close(fd)
            }
            thread.start()
        }
    }

    /// Serves requests on one connection until the client closes it.
    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        while true {
            guard let (method, path, body) = readRequest(fd, &buffer) else { return }
            switch (method, path) {
            case ("GET", "/chunked"):
                send(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n")
            case ("GET", "/close-delimited"):
                send(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
                return
            case ("GET", "/silent"):
                // Hold the connection open without answering until the client gives up.
                var byte: UInt8 = 0
                _ = recv(fd, &byte, 1, 0)
                return
            case ("GET", _) where path.hasPrefix("/kv/"):
                let key = String(path.dropFirst(4))
                let value = store.withLock { mode == .lagsOneWrite ? $0.replica[key] : $0.primary[key] }
                if let value {
                    send(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(value.utf8.count)\r\n\r\n\(value)")
                } else {
                    send(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                }
            case ("PUT", _) where path.hasPrefix("/kv/"):
                let key = String(path.dropFirst(4))
                let value = String(decoding: body, as: UTF8.self)
                if mode == .refusesSomeWrites {
                    let turn = puts.withLock { puts -> Int in
                        defer { puts.count += 1 }
                        puts.turnOfValue[value] = puts.count % 4
                        return puts.count % 4
                    }
                    if turn == 1 || turn == 3 { store.withLock { $0.primary[key] = value } }
                    switch turn {
                    case 0: send(fd, "HTTP/1.1 503 Service Unavailable\r\nX-Applied: no\r\nContent-Length: 0\r\n\r\n")
                    case 1: send(fd, "HTTP/1.1 503 Service Unavailable\r\nx-applied: Unknown\r\nContent-Length: 0\r\n\r\n")
                    case 2: send(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
                    default: send(fd, "HTTP/1.1 204 No Content\r\n\r\n")
                    }
                    continue
                }
                store.withLock { store in
                    switch mode {
                    case .correct, .refusesSomeWrites: store.primary[key] = value
                    case .dropsWrites: break
                    case .lagsOneWrite:
                        if let previous = store.primary[key] { store.replica[key] = previous }
                        store.primary[key] = value
                    }
                }
                send(fd, "HTTP/1.1 204 No Content\r\n\r\n")
            case ("POST", _) where path.hasPrefix("/cas/") && mode == .correct:
                let key = String(path.dropFirst(5))
                let parts = String(decoding: body, as: UTF8.self).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { send(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"); continue }
                let expected: String? = parts[0].isEmpty ? nil : String(parts[0])
                let swapped = store.withLock { store -> Bool in
                    guard store.primary[key] == expected else { return false }
                    store.primary[key] = String(parts[1])
                    return true
                }
                send(fd, swapped ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" : "HTTP/1.1 412 Precondition Failed\r\nContent-Length: 0\r\n\r\n")
            default:
                send(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            }
        }
    }

    /// Reads one request (head and Content-Length body); nil when the client closed.
    private func readRequest(_ fd: Int32, _ buffer: inout [UInt8]) -> (String, String, [UInt8])? {
        while true {
            if let headEnd = find([13, 10, 13, 10], in: buffer) {
                let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
                let lines = head.split(separator: "\r\n")
                let parts = lines.first?.split(separator: " ") ?? []
                guard parts.count >= 2 else { return nil }
                var length = 0
                for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
                    length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                let bodyStart = headEnd + 4
                if buffer.count >= bodyStart + length {
                    let body = Array(buffer[bodyStart..<(bodyStart + length)])
                    buffer.removeFirst(bodyStart + length)
                    return (String(parts[0]), String(parts[1]), body)
                }
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { return nil }
            buffer += chunk[..<count]
        }
    }

    private func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }

    private func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for index in 0...(bytes.count - needle.count) where bytes[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}
