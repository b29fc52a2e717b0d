#if canImport(Glibc)
import Glibc
#endif
import FaultlineTestSupport
import Foundation
import FaultlineWorkloads

/// A throwaway redis-server on 127.0.0.1 (Debian's `redis-server`): no persistence, a
/// free port, killed by pid in `stop()`.
final class RedisServer: Sendable {
    static let binary = "/usr/bin/redis-server"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    let process: SpawnedProcess
    let endpoint: Endpoint
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("redis")
        let port = try LoopbackSocket.freePorts(1)[0]
        endpoint = Endpoint(name: "redis", host: "127.0.0.1", port: port)
        do {
            process = try SpawnedProcess([
                Self.binary, "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory.path, "--daemonize", "no",
            ], logPath: directory.path + "/redis.log")
        } catch {
            directory.remove()
            throw error
        }
        do {
            try waitUntilReady()
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    func stop() {
        process.kill()
        directory.remove()
    }

    private func waitUntilReady() throws {
        let connection = RESPConnection(host: endpoint.host, port: endpoint.port)
        for _ in 0..<100 {
            if process.hasExited { throw TestFailure("redis-server exited: \(process.logTail())") }
            if (try? connection.command(["PING"], timeout: .milliseconds(300))) == .simpleString("PONG") { return }
            usleep(50_000)
        }
        throw TestFailure("redis-server not answering PING within 5 s: \(process.logTail())")
    }
}
