#if canImport(Glibc)
import Glibc
#endif
import FaultlineTestSupport
import Foundation
import FaultlineWorkloads

/// A real etcd cluster of Debian's /usr/bin/etcd members on 127.0.0.1, one process each.
///
/// Ports are chosen free per test; data lives in a temporary directory. `stop()` kills
/// every member with SIGKILL (SIGTERM to all members at once hangs the leader ~8 s while
/// it tries to hand over, KERNEL.md) and removes the directory; tests call it in `defer`.
final class EtcdCluster: Sendable {
    static let binary = "/usr/bin/etcd"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    let members: [SpawnedProcess]
    let endpoints: [Endpoint]
    let directory: TemporaryDirectory

    /// Starts `size` members and waits until each reports healthy.
    init(size: Int = 3) throws {
        let directory = try TemporaryDirectory("etcd")
        self.directory = directory
        let ports = try LoopbackSocket.freePorts(size * 2)
        let tag = directory.path.split(separator: "/").last.map(String.init) ?? "fl-etcd"
        let names = (0..<size).map { "fl-\(tag.prefix(10))-n\($0)" }
        let peers = (0..<size).map { "\(names[$0])=http://127.0.0.1:\(ports[size + $0])" }.joined(separator: ",")
        var members: [SpawnedProcess] = []
        var endpoints: [Endpoint] = []
        do {
            for index in 0..<size {
                let client = "http://127.0.0.1:\(ports[index])"
                let peer = "http://127.0.0.1:\(ports[size + index])"
                members.append(try SpawnedProcess([
                    Self.binary, "--name", names[index], "--data-dir", "\(directory.path)/\(names[index])",
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", peers, "--initial-cluster-state", "new",
                    "--initial-cluster-token", tag, "--pre-vote=true",
                ], logPath: "\(directory.path)/\(names[index]).log"))
                endpoints.append(Endpoint(name: "n\(index)", host: "127.0.0.1", port: ports[index]))
            }
            self.members = members
            self.endpoints = endpoints
            try waitUntilHealthy(timeout: .seconds(20))
        } catch {
            members.forEach { $0.kill() }
            directory.remove()
            throw error
        }
    }

    deinit { stop() }

    /// Kills every member (SIGKILL, reaped) and removes the data. Idempotent.
    func stop() {
        members.forEach { $0.kill() }
        directory.remove()
    }

    /// Waits until every member answers /health with {"health":"true"} (which needs a
    /// leader and a committed read).
    private func waitUntilHealthy(timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        var pending = Set(endpoints.indices)
        while !pending.isEmpty {
            for index in pending.sorted() {
                if members[index].hasExited {
                    throw TestFailure("etcd \(endpoints[index].name) exited: \(members[index].logTail())")
                }
                let connection = HTTPConnection(host: "127.0.0.1", port: endpoints[index].port)
                if let response = try? connection.request("GET", "/health", timeout: .milliseconds(500)),
                   response.status == 200, response.text.contains("\"true\"") {
                    pending.remove(index)
                }
            }
            if ContinuousClock.now > deadline {
                throw TestFailure("etcd members \(pending.sorted()) not healthy within \(timeout): \(members[pending.first!].logTail())")
            }
            if !pending.isEmpty { usleep(100_000) }
        }
    }
}
